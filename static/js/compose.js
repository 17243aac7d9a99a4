// Prompt boxes: Ctrl+Enter (or Cmd+Enter) sends; a counter under the box shows the length
// against the limit and holds back a message that is too long. Nothing is ever cut: the box
// has no maxlength, which would silently truncate a paste.
(function () {
  "use strict";
  const box = document.getElementById("prompt-text");
  if (!box) return;
  const counter = document.getElementById("prompt-count");
  const send = box.form.querySelector('button[type="submit"]');
  const max = counter ? parseInt(counter.dataset.maxChars, 10) : Infinity;
  const number = new Intl.NumberFormat("en-US");

  // Counted as the server counts: Unicode characters of the trimmed text (an emoji is one).
  function excess() { return Array.from(box.value.trim()).length - max; }

  function update() {
    if (!counter) return;
    const over = excess();
    let text = number.format(max + over) + " / " + number.format(max) + " characters";
    if (over > 0) text += ": " + number.format(over) + " too many. Shorten the message to send it.";
    counter.textContent = text;
    counter.classList.toggle("error", over > 0);
    counter.classList.toggle("muted", over <= 0);
    if (send) send.disabled = over > 0;
  }

  box.addEventListener("input", update);
  update();
  box.form.addEventListener("submit", function (event) {
    if (excess() > 0) event.preventDefault();
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      box.form.requestSubmit();
    }
  });
})();
