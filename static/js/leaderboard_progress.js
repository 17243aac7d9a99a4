// Leaderboard run progress: poll the run's API answer, move the bar, reload once it has ended.
(function () {
  "use strict";
  const card = document.getElementById("run-progress-card");
  if (!card) return;
  const bar = document.getElementById("run-progress");
  const step = document.getElementById("run-step");
  const url = card.dataset.progressUrl;
  const FAST_MS = 1500;
  const SLOW_MS = 10000;

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (run) {
        if (run.status === "done" || run.status === "failed") {
          window.location.reload();
          return;
        }
        bar.value = run.progress;
        bar.textContent = Math.round(run.progress * 100) + "%";
        if (run.step) step.textContent = run.step;
        setTimeout(poll, FAST_MS);
      })
      .catch(function () {
        setTimeout(poll, SLOW_MS);
      });
  }

  setTimeout(poll, FAST_MS);
})();
