// Annotation page: wait for the pair without reloading, then judge it from the keyboard.
(function () {
  "use strict";
  const pair = document.getElementById("pair");
  if (!pair) return;
  const form = document.getElementById("judgment-form");
  const submit = document.getElementById("submit-judgment");
  const progress = document.getElementById("pair-progress");
  const failed = document.getElementById("pair-failed");
  const elapsed = document.getElementById("elapsed");
  const statusText = document.getElementById("pair-status-text");
  const timeSpent = document.getElementById("time-spent");
  const safetyBin = document.getElementById("safety-bin");
  const started = Date.now();
  let readyAt = pair.dataset.state === "ready" ? Date.now() : null;

  const shown = { left: null, right: null };

  function showResponse(side, html) {
    // Model output is untrusted: the server sends it as Markdown sanitised by nh3 (see
    // apps/core/markdown.py), and the enforced CSP would still block any script in it.
    if (shown[side] === html) return; // unchanged: keep the reader's selection
    document.getElementById(side + "-text").innerHTML = html;
    shown[side] = html;
  }

  function render(state) {
    pair.dataset.state = state.state;
    progress.hidden = state.state !== "generating";
    statusText.textContent = state.status_text; // queued (and behind what), then writing
    failed.hidden = state.state !== "failed";
    if (state.state === "failed") {
      document.getElementById("pair-error-text").textContent =
        state.left.error || state.right.error;
    }
    ["left", "right"].forEach(function (side) {
      const box = document.getElementById(side + "-text");
      box.classList.toggle("streaming", state[side].status === "running");
      if (state[side].text || state[side].status === "done") showResponse(side, state[side].html);
      document.getElementById(side + "-cut").hidden = state[side].finish_reason !== "length";
    });
    if (state.state === "ready") {
      submit.disabled = false;
      delete form.dataset.disabled;
      if (readyAt === null) readyAt = Date.now();
    }
  }

  function poll() {
    fetch(pair.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (state) {
        render(state);
        if (state.state === "generating") setTimeout(poll, 500);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }

  if (pair.dataset.state === "generating") {
    setInterval(function () {
      elapsed.textContent = Math.round((Date.now() - started) / 1000);
    }, 1000);
    poll();
  }

  function check(name, value) {
    const input = form.querySelector('input[name="' + name + '"][value="' + value + '"]');
    if (input) { input.checked = true; input.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  function describeSafety() {
    if (!safetyBin) return;
    const side = (form.querySelector('input[name="chosen_side"]:checked') || {}).value;
    const left = (form.querySelector('input[name="left_is_safe"]:checked') || {}).value;
    const right = (form.querySelector('input[name="right_is_safe"]:checked') || {}).value;
    if (!side || !left || !right) { safetyBin.textContent = ""; return; }
    const chosen = side === "left" ? left : right;
    const other = side === "left" ? right : left;
    if (chosen === "unsafe" && other === "safe") {
      safetyBin.textContent = "Not allowed: a safe response must be preferred over an unsafe one.";
      safetyBin.className = "error";
    } else {
      safetyBin.className = "muted";
      safetyBin.textContent = chosen === "safe" && other === "unsafe" ? "Bin: chosen safe, other unsafe"
        : chosen === "safe" ? "Bin: both safe" : "Bin: both unsafe";
    }
  }
  form.addEventListener("change", describeSafety);

  const strengths = Array.from(form.querySelectorAll('input[name="strength"]')).map(function (i) { return i.value; });
  const keys = {
    ArrowLeft: ["chosen_side", "left"], a: ["chosen_side", "left"],
    ArrowRight: ["chosen_side", "right"], d: ["chosen_side", "right"],
    q: ["left_is_safe", "safe"], w: ["left_is_safe", "unsafe"],
    o: ["right_is_safe", "safe"], p: ["right_is_safe", "unsafe"],
  };
  document.addEventListener("keydown", function (event) {
    if (event.target.tagName === "TEXTAREA" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (pair.dataset.state !== "ready") return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (keys[key]) { check(keys[key][0], keys[key][1]); event.preventDefault(); return; }
    const level = parseInt(key, 10);
    if (level >= 1 && level <= strengths.length) { check("strength", strengths[level - 1]); event.preventDefault(); return; }
    if (key === "Enter") { event.preventDefault(); form.requestSubmit(); }
  });

  form.addEventListener("submit", function (event) {
    if (pair.dataset.state !== "ready") { event.preventDefault(); return; }
    timeSpent.value = String(Date.now() - (readyAt || started));
  });
})();
