// A study's rating page: the digit keys pick a rating on the scale, Enter sends it.
(function () {
  "use strict";
  const form = document.getElementById("rating-form");
  if (!form) return;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type === "text"))) return;
    const option = form.querySelector('input[name="value"][value="' + event.key + '"]');
    if (option) {
      option.checked = true;
      option.focus();
      event.preventDefault();
      return;
    }
    if (event.key === "Enter" && form.querySelector('input[name="value"]:checked')) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
})();
