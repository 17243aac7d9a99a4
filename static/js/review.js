// The review page: j / k move to the next / previous pair (not while typing in a field).
(function () {
  "use strict";
  const pairs = Array.from(document.querySelectorAll("article.review-pair"));
  if (!pairs.length) return;
  let current = -1;
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }
  function show(index) {
    current = Math.max(0, Math.min(pairs.length - 1, index));
    pairs.forEach((pair, i) => pair.classList.toggle("review-current", i === current));
    pairs[current].focus({ preventScroll: true });
    pairs[current].scrollIntoView({ block: "start" });
  }
  if (location.hash) {
    const target = pairs.findIndex((pair) => "#" + pair.id === location.hash);
    if (target >= 0) current = target;
  }
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === "j") show(current + 1);
    else if (event.key === "k") show(current - 1);
    else return;
    event.preventDefault();
  });
})();
