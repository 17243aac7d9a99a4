// Qualification feedback: N, or Enter (the Continue button has the focus), continues to the
// next pair. Keys typed into a field or on another control are left alone.
(function () {
  "use strict";
  var form = document.getElementById("continue-form");
  var button = document.getElementById("continue");
  if (!form || !button) return;
  button.focus();
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    var target = event.target;
    var onPage = target === document.body || target === button || target === document.documentElement;
    var isN = event.key === "n" || event.key === "N";
    if ((isN && !/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) && !target.isContentEditable) ||
        (event.key === "Enter" && onPage)) {
      event.preventDefault();
      form.submit();
    }
  });
})();
