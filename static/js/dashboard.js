// Batch dashboard: fetch the panel fragment every few seconds and swap it in.
// The interval comes from data-refresh-seconds; a failed refresh shows a stale warning and
// keeps the last figures on screen until a later refresh succeeds.
(function () {
  "use strict";
  var panel = document.getElementById("dashboard-panel");
  if (!panel) { return; }
  var updated = document.getElementById("dashboard-updated");
  var stale = document.getElementById("dashboard-stale");
  var url = panel.getAttribute("data-panel-url");
  var seconds = Math.max(1, parseInt(panel.getAttribute("data-refresh-seconds"), 10) || 15);
  var lastSuccess = null;

  function clock(date) {
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(date.getHours()) + ":" + two(date.getMinutes()) + ":" + two(date.getSeconds());
  }

  function markUpdated(date) {
    lastSuccess = date;
    updated.textContent = "updated " + clock(date);
    stale.hidden = true;
    panel.classList.remove("is-stale");
  }

  function markStale(why) {
    stale.textContent = "Could not refresh the figures (" + why + ")" +
      (lastSuccess ? "; showing those from " + clock(lastSuccess) : "") + ". Retrying.";
    stale.hidden = false;
    panel.classList.add("is-stale");
  }

  function refresh() {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, Math.max(seconds, 10) * 1000);
    fetch(url, { credentials: "same-origin", signal: controller.signal,
                 headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) {
        // An expired session redirects to the login page: that is not a panel.
        if (response.redirected) { throw new Error("signed out?"); }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        panel.replaceChildren.apply(panel, Array.prototype.slice.call(doc.body.childNodes));
        markUpdated(new Date());
      })
      .catch(function (error) {
        markStale(error && error.name === "AbortError" ? "timed out" : (error.message || "network error"));
      })
      .then(function () {
        clearTimeout(timer);
        setTimeout(refresh, seconds * 1000);
      });
  }

  markUpdated(new Date());
  setTimeout(refresh, seconds * 1000);
})();
