// Status pages reload themselves so a stopped worker shows up without anyone pressing F5.
(function () {
  "use strict";
  setTimeout(function () { window.location.reload(); }, 10000);
})();
