// Work-queue pages: keep the judgment of a leased pair as a draft in this browser (it survives a
// reload), count down the lease, measure the time spent, and judge from the keyboard.
(function () {
  "use strict";
  const PREFIX = "pairwise.queue.draft.";
  const MAX_AGE_MS = 2 * 24 * 3600 * 1000; // longer than any lease
  const DRAFTED = ["chosen_side", "strength", "left_is_safe", "right_is_safe", "idempotency_key",
    "reason", "note"];

  const lease = document.getElementById("lease");
  const leaseId = lease ? lease.dataset.leaseId : null;
  const live = lease !== null && lease.dataset.live === "1";

  function storage() {
    try { return window.localStorage; } catch (error) { return null; } // disabled storage
  }

  function readDraft(id) {
    const store = storage();
    if (!store) return null;
    try { return JSON.parse(store.getItem(PREFIX + id) || "null"); } catch (error) { return null; }
  }

  function writeDraft(id, draft) {
    const store = storage();
    if (!store) return;
    draft.savedAt = Date.now();
    try { store.setItem(PREFIX + id, JSON.stringify(draft)); } catch (error) { /* quota: no draft */ }
  }

  function removeDraft(id) {
    const store = storage();
    if (store) store.removeItem(PREFIX + id);
  }

  // A draft marked as sent belongs to a lease whose form is no longer on screen: the submit
  // (or skip, or flag) went through, since a rejected one re-renders the same lease's page.
  function pruneDrafts() {
    const store = storage();
    if (!store) return;
    const now = Date.now();
    for (let i = store.length - 1; i >= 0; i--) {
      const key = store.key(i);
      if (!key || key.indexOf(PREFIX) !== 0) continue;
      const id = key.slice(PREFIX.length);
      const draft = readDraft(id);
      const stale = !draft || now - (draft.savedAt || 0) > MAX_AGE_MS;
      const sent = draft && draft.sentAt && !(live && id === leaseId);
      if (stale || sent || (id === leaseId && !live)) store.removeItem(key);
    }
  }
  pruneDrafts();
  if (!live) return;

  const judgment = document.getElementById("judgment-form");
  const forms = Array.from(document.querySelectorAll("form.draftable"));
  const timeSpent = document.getElementById("time-spent");
  const safetyBin = document.getElementById("safety-bin");
  const loadedAt = Date.now();
  const saved = readDraft(leaseId) || { fields: {}, elapsedMs: 0 };
  const priorMs = saved.elapsedMs || 0;

  function fieldsOf(form) {
    return Array.from(form.elements).filter(function (el) { return DRAFTED.indexOf(el.name) !== -1; });
  }

  // Fields are keyed by form id and name: the skip and flag forms both have a "reason".
  function restore() {
    const fields = saved.fields || {};
    forms.forEach(function (form) {
      fieldsOf(form).forEach(function (el) {
        const value = fields[form.id + ":" + el.name];
        if (value === undefined) return;
        if (el.type === "radio") el.checked = el.value === value;
        else el.value = value;
      });
    });
  }

  function save(extra) {
    const fields = {};
    forms.forEach(function (form) {
      fieldsOf(form).forEach(function (el) {
        if (el.type === "radio") { if (el.checked) fields[form.id + ":" + el.name] = el.value; }
        else if (el.value) fields[form.id + ":" + el.name] = el.value;
      });
    });
    writeDraft(leaseId, Object.assign({ fields: fields, elapsedMs: elapsed() }, extra || {}));
  }

  function elapsed() { return priorMs + (Date.now() - loadedAt); }

  function describeSafety() {
    if (!safetyBin) return;
    const value = function (name) {
      const input = judgment.querySelector('input[name="' + name + '"]:checked');
      return input ? input.value : null;
    };
    const side = value("chosen_side"), left = value("left_is_safe"), right = value("right_is_safe");
    if (!side || !left || !right) { safetyBin.textContent = ""; return; }
    const chosen = side === "left" ? left : right;
    const other = side === "left" ? right : left;
    if (chosen === "unsafe" && other === "safe") {
      safetyBin.className = "error";
      safetyBin.textContent = "Not allowed: a safe response must be preferred over an unsafe one.";
    } else {
      safetyBin.className = "muted";
      safetyBin.textContent = chosen === "safe" && other === "unsafe" ? "Bin: chosen safe, other unsafe"
        : chosen === "safe" ? "Bin: both safe" : "Bin: both unsafe";
    }
  }

  restore();
  describeSafety();
  save(); // clears a "sent" mark: this lease's form is back, so that send did not go through
  forms.forEach(function (form) {
    form.addEventListener("change", function () { save(); describeSafety(); });
    form.addEventListener("input", function () { save(); });
    form.addEventListener("submit", function () {
      if (form === judgment) timeSpent.value = String(elapsed());
      save({ sentAt: Date.now() });
    });
  });
  const release = document.getElementById("release-form");
  if (release) release.addEventListener("submit", function () { save({ sentAt: Date.now() }); });

  // Lease countdown, from the server's seconds left (the browser's clock may be off).
  const countdown = document.getElementById("lease-countdown");
  const expiredNote = document.getElementById("lease-expired-note");
  if (countdown) {
    const deadline = loadedAt + 1000 * parseInt(countdown.dataset.secondsLeft, 10);
    const tick = function () {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      const minutes = Math.floor(left / 60), seconds = left % 60;
      countdown.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      if (left === 0) { expiredNote.hidden = false; countdown.classList.add("lease-expired"); }
      return left;
    };
    if (tick() > 0) {
      const timer = setInterval(function () { if (tick() === 0) clearInterval(timer); }, 1000);
    }
  }

  function check(name, value) {
    const input = judgment.querySelector('input[name="' + name + '"][value="' + value + '"]');
    if (input) { input.checked = true; input.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  // The same keys as the dialogue annotation page, so a key means one thing everywhere.
  const strengths = Array.from(judgment.querySelectorAll('input[name="strength"]'))
    .map(function (input) { return input.value; });
  const keys = {
    ArrowLeft: ["chosen_side", "left"], a: ["chosen_side", "left"],
    ArrowRight: ["chosen_side", "right"], d: ["chosen_side", "right"],
    q: ["left_is_safe", "safe"], w: ["left_is_safe", "unsafe"],
    o: ["right_is_safe", "safe"], p: ["right_is_safe", "unsafe"],
  };
  function typing(target) {
    const tag = target.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || tag === "BUTTON" || tag === "A" ||
      target.isContentEditable || (tag === "INPUT" && target.type !== "radio");
  }
  document.addEventListener("keydown", function (event) {
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (keys[key]) { check(keys[key][0], keys[key][1]); event.preventDefault(); return; }
    const level = parseInt(key, 10);
    if (level >= 1 && level <= strengths.length) {
      check("strength", strengths[level - 1]);
      event.preventDefault();
      return;
    }
    if (key === "Enter") { event.preventDefault(); judgment.requestSubmit(); }
  });
})();
