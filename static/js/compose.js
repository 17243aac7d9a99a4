// Ctrl+Enter (or Cmd+Enter) sends the message being written.
(function () {
  "use strict";
  const box = document.getElementById("prompt-text");
  if (!box) return;
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      box.form.requestSubmit();
    }
  });
})();
