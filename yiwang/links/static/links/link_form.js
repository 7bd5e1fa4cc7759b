// Show only the fields the chosen kind of link uses (the server checks them all the same).
(function () {
  "use strict";
  const kind = document.getElementById("id_kind");
  if (!kind) return;
  function sync() {
    document.querySelectorAll("[data-kinds]").forEach(function (part) {
      part.hidden = part.dataset.kinds.split(" ").indexOf(kind.value) < 0;
    });
  }
  kind.addEventListener("change", sync);
  sync();
})();
