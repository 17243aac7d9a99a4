// The quality page: sort the annotator table by a column (click or Enter on its heading).
(function () {
  "use strict";
  const table = document.getElementById("annotator-table");
  if (!table) return;
  const headings = Array.from(table.querySelectorAll("th[data-sort]"));
  function value(row, index, kind) {
    const cell = row.children[index];
    const raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
    if (kind !== "num") return raw.toLowerCase();
    return raw === "" ? NaN : Number(raw);
  }
  function sortBy(heading) {
    const index = headings.indexOf(heading);
    const kind = heading.dataset.sort;
    const ascending = heading.getAttribute("aria-sort") !== "ascending";
    headings.forEach((h) => h.removeAttribute("aria-sort"));
    heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const x = value(a, index, kind);
      const y = value(b, index, kind);
      if (kind === "num") {
        if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1; // unmeasured last
        if (Number.isNaN(y)) return -1;
        return ascending ? x - y : y - x;
      }
      return ascending ? x.localeCompare(y) : y.localeCompare(x);
    });
    rows.forEach((row) => body.appendChild(row));
  }
  headings.forEach((heading) => {
    heading.tabIndex = 0;
    heading.addEventListener("click", () => sortBy(heading));
    heading.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        sortBy(heading);
      }
    });
  });
})();
