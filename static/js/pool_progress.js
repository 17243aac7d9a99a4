// Pool pre-generation progress: poll the JSON endpoint and move the <progress> bar.
(function () {
  "use strict";
  const card = document.getElementById("pool-progress-card");
  if (!card) return;
  const bar = document.getElementById("pool-progress");
  const url = card.dataset.progressUrl;
  const FAST_MS = 2000;
  const SLOW_MS = 15000;
  const fields = {
    ready: document.getElementById("pool-ready"),
    total: document.getElementById("pool-total"),
    pending: document.getElementById("pool-pending"),
    failed: document.getElementById("pool-failed"),
    failed_samples: document.getElementById("pool-failed-samples"),
  };

  function show(progress) {
    Object.keys(fields).forEach(function (name) {
      if (fields[name] && typeof progress[name] === "number") {
        fields[name].textContent = String(progress[name]);
      }
    });
    bar.max = Math.max(progress.total, 1);
    bar.value = progress.ready;
    bar.textContent = progress.ready + " / " + progress.total;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (progress) {
        show(progress);
        // Keep watching quickly while pairs are generating; slowly otherwise (a new upload
        // from another tab still shows up).
        setTimeout(poll, progress.pending > 0 ? FAST_MS : SLOW_MS);
      })
      .catch(function () {
        setTimeout(poll, SLOW_MS);
      });
  }

  setTimeout(poll, FAST_MS);
})();
