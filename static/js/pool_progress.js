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

  // Uploads being checked or imported: move their bars; reload once one has ended, so the
  // page shows its result (done, or the bad lines).
  const active = (card.dataset.uploadsActive || "").trim().split(/\s+/).filter(Boolean);

  function showUploads(uploads) {
    const now = uploads.map(function (upload) { return String(upload.id); });
    if (active.some(function (id) { return now.indexOf(id) === -1; })) {
      window.location.reload();
      return;
    }
    uploads.forEach(function (upload) {
      const row = document.getElementById("upload-" + upload.id);
      if (row && row.dataset.state !== upload.state) {
        window.location.reload();
        return;
      }
      const bar = document.getElementById("upload-" + upload.id + "-progress");
      const count = document.getElementById("upload-" + upload.id + "-count");
      const done = upload.state === "importing" ? upload.rows_imported : upload.rows_checked;
      if (bar && upload.state === "importing") {
        bar.max = Math.max(upload.rows, 1);
        bar.value = upload.rows_imported;
      }
      if (count) count.textContent = String(done);
    });
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (progress) {
        show(progress);
        showUploads(progress.uploads || []);
        // Keep watching quickly while pairs are generating or a file is imported; slowly
        // otherwise (a new upload from another tab still shows up).
        const busy = progress.pending > 0 || (progress.uploads || []).length > 0;
        setTimeout(poll, busy ? FAST_MS : SLOW_MS);
      })
      .catch(function () {
        setTimeout(poll, SLOW_MS);
      });
  }

  setTimeout(poll, FAST_MS);
})();
