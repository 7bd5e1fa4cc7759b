// Formsets whose rows may each open a case (a linked visit's problems, a patrol's or visit's
// findings): a row shows its case fields only while "open a case" is ticked, and "+" adds a row by
// cloning the formset's empty form. Without JavaScript every field simply stays visible.
(function () {
  document.querySelectorAll("[data-case-rows]").forEach(function (set) {
    const rows = set.querySelector("[data-rows]");
    const template = set.querySelector("template");
    const total = set.querySelector("input[name$='-TOTAL_FORMS']");
    function wire(row) {
      const box = row.querySelector("input[name$='-open_case']");
      const fields = row.querySelector(".case-fields");
      if (!box || !fields) return;
      const sync = () => { fields.hidden = !box.checked; };
      box.addEventListener("change", sync);
      sync();
    }
    Array.from(rows.children).forEach(wire);
    set.querySelector("[data-add-row]").addEventListener("click", function () {
      const index = parseInt(total.value, 10);
      rows.insertAdjacentHTML("beforeend", template.innerHTML
        .replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1)));
      total.value = String(index + 1);
      const row = rows.lastElementChild;
      wire(row);
      row.querySelector("textarea").focus();
    });
  });
})();
