// Resync State Data - Batch: ticking a node ticks its subtree; [-]/[+] folds a node's subtree;
// the live result cells are copied in from the periodically refreshed #object-results.
(function () {
  const form = document.getElementById("batch-form");
  const ticks = Array.from(form.querySelectorAll("input.tick"));
  const byName = Object.fromEntries(ticks.map((t) => [t.value, t]));

  function tickSubtree(tick) {
    tick.dataset.subtree.split(" ").forEach((name) => { if (byName[name]) byName[name].checked = tick.checked; });
  }
  ticks.forEach((tick) => tick.addEventListener("change", () => tickSubtree(tick)));
  // A box ticked before this script ran (a slow page, or the browser restoring the form) had no
  // handler: give it its subtree now, before htmx's load trigger asks for the plan.
  ticks.filter((tick) => tick.checked).forEach(tickSubtree);
  // The year picker shows that year's results; the form sends the year it shows.
  const picker = document.getElementById("school-year");
  if (picker) {
    picker.addEventListener("change", () => {
      window.location.assign(picker.dataset.page + "?year=" + encodeURIComponent(picker.value));
    });
  }
  document.getElementById("tick-all").addEventListener("change", (e) => {
    ticks.forEach((t) => (t.checked = e.target.checked));
    form.dispatchEvent(new Event("change"));
  });

  form.querySelectorAll("button.fold").forEach((button) =>
    button.addEventListener("click", () => {
      const row = button.closest("tr");
      const open = button.getAttribute("aria-expanded") === "true";
      const below = row.querySelector("input.tick").dataset.subtree.split(" ").slice(1);
      below.forEach((name) => {
        const r = form.querySelector(`tr[data-object="${name}"]`);
        r.hidden = open;
        const b = r.querySelector("button.fold");
        if (b) { b.setAttribute("aria-expanded", String(!open)); b.textContent = open ? "[+]" : "[-]"; }
      });
      button.setAttribute("aria-expanded", String(!open));
      button.textContent = open ? "[+]" : "[-]";
      button.title = open ? "Expand" : "Collapse";
    })
  );

  function paint() {
    // "Run N queued" is true only while a run is queued or running.
    if (!document.querySelector("#run-queue table")) {
      document.querySelectorAll(".messages li.queued-run").forEach((li) => li.remove());
    }
    document.querySelectorAll("#object-results template").forEach((tpl) => {
      tpl.content.querySelectorAll("[data-part]").forEach((part) => {
        const cell = document.getElementById(part.dataset.part + "-" + tpl.dataset.for);
        if (cell) cell.replaceChildren(...Array.from(part.childNodes, (n) => n.cloneNode(true)));
      });
    });
  }
  paint();
  document.body.addEventListener("htmx:afterSwap", paint);
  document.body.addEventListener("htmx:oobAfterSwap", paint);
})();
