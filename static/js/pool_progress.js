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
    samples_done: document.getElementById("pool-samples-done"),
    samples_total: document.getElementById("pool-samples-total"),
  };

  function show(progress) {
    Object.keys(fields).forEach(function (name) {
      if (fields[name] && typeof progress[name] === "number") {
        fields[name].textContent = String(progress[name]);
      }
    });
    // The bar counts responses, which finish one by one; a pair needs both of its two.
    bar.max = Math.max(progress.samples_total, 1);
    bar.value = progress.samples_done;
    bar.textContent = progress.samples_done + " / " + progress.samples_total;
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
