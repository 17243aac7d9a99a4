// Batch staff form: after a refused submit, put the keyboard on the first field with an error.
(function () {
  "use strict";
  var invalid = document.querySelector("#batch-form [aria-invalid=true]");
  if (invalid) {
    invalid.focus();
  } else {
    var summary = document.getElementById("form-errors");
    if (summary) summary.focus();
  }
})();
