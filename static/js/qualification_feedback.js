// Qualification feedback: N (or Enter, on the focused button) continues to the next pair.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (event.key === "n" || event.key === "N") {
      var form = document.getElementById("continue-form");
      if (form) {
        event.preventDefault();
        form.submit();
      }
    }
  });
})();
