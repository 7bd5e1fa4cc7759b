// The proposal form: "add a row" clones the hidden row template with the next index.
(function () {
  "use strict";
  const add = document.getElementById("add-row");
  if (!add) return;
  add.addEventListener("click", function () {
    const count = document.getElementById("row-count");
    const i = parseInt(count.value, 10);
    const html = document.getElementById("row-template").innerHTML.replace(/__i__/g, String(i)).replace(/__n__/g, String(i + 1));
    document.getElementById("rows").insertAdjacentHTML("beforeend", html);
    count.value = String(i + 1);
  });
})();
