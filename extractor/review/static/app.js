// Batch page: sort by any column, filter by department, severity, rule and review status.
(function () {
  const table = document.getElementById("reports");
  if (table) {
    const rows = () => Array.from(table.tBodies[0].rows);
    table.querySelectorAll("th").forEach((th, i) => th.addEventListener("click", () => {
      const num = th.dataset.type === "num", dir = th.dataset.dir === "asc" ? -1 : 1;
      th.dataset.dir = dir === 1 ? "asc" : "desc";
      const key = (r) => { const c = r.cells[i]; const v = c.dataset.value ?? c.textContent.trim(); return num ? (parseFloat(v) || 0) : v; };
      rows().sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * dir).forEach((r) => table.tBodies[0].appendChild(r));
    }));
    const apply = () => {
      const q = document.getElementById("q").value.trim(), sev = document.getElementById("sev").value,
        rule = document.getElementById("rule").value, status = document.getElementById("status").value;
      rows().forEach((r) => {
        const ok = (!q || r.dataset.dept.includes(q)) && (!sev || r.dataset.sev === sev) &&
          (!rule || r.dataset.rules.split(" ").includes(rule)) &&
          (!status || (status === "open" ? r.dataset.open !== "0" : r.dataset.open === "0"));
        r.hidden = !ok;
      });
    };
    ["q", "sev", "rule", "status"].forEach((id) => document.getElementById(id).addEventListener("input", apply));
  }
  // Report page: choose a flag to mark its values in the text; keys j/k/c/d.
  const flags = Array.from(document.querySelectorAll(".flag"));
  if (!flags.length) return;
  let current = -1;
  const choose = (i) => {
    if (i < 0 || i >= flags.length) return;
    current = i;
    flags.forEach((f) => f.classList.remove("active"));
    document.querySelectorAll("mark.hit").forEach((m) => m.classList.remove("hit"));
    const f = flags[i]; f.classList.add("active"); f.scrollIntoView({ block: "nearest" });
    const paths = f.dataset.paths.split(" ").filter(Boolean);
    let first = null;
    document.querySelectorAll("mark[data-paths]").forEach((m) => {
      if (m.dataset.paths.split(" ").some((p) => paths.includes(p))) { m.classList.add("hit"); first = first || m; }
    });
    if (first) first.scrollIntoView({ block: "center" });
    const fig = document.getElementById("page");  // a PDF: the page the flag's values are on
    if (fig && f.dataset.page) {
      fig.querySelector("img").src = "/page/" + fig.dataset.doc + "/" + f.dataset.page + ".png";
      fig.querySelector("img").alt = "原文第 " + f.dataset.page + " 页";
      fig.querySelector("span").textContent = f.dataset.page;
    }
  };
  flags.forEach((f, i) => f.addEventListener("click", (e) => { if (!e.target.closest("form")) choose(i); }));
  // a selection in the text becomes the span of a correction
  document.getElementById("text").addEventListener("mouseup", () => {
    const sel = window.getSelection(); if (!sel || sel.isCollapsed || current < 0) return;
    const offset = (node, off) => { const el = node.parentElement.closest("[data-start]"); return el ? parseInt(el.dataset.start, 10) + off : null; };
    const a = offset(sel.anchorNode, sel.anchorOffset), b = offset(sel.focusNode, sel.focusOffset);
    if (a === null || b === null) return;
    const form = flags[current].querySelector("form");
    form.span_start.value = Math.min(a, b); form.span_end.value = Math.max(a, b);
    form.value.value = sel.toString().trim(); form.querySelector("details").open = true;
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.matches("input, select, textarea")) return;
    if (e.key === "j") choose(current + 1);
    else if (e.key === "k") choose(current - 1);
    else if (e.key === "c" && current >= 0) flags[current].querySelector("button.confirm").click();
    else if (e.key === "d" && current >= 0) flags[current].querySelector("input[name=reason]").focus();
    else return;
    e.preventDefault();
  });
  const hash = location.hash.match(/^#flag-(\d+)$/);
  choose(hash ? parseInt(hash[1], 10) : 0);
})();
