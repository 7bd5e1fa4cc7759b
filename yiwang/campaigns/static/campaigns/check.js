// A failed item's box turns red so the worker sees which ones will open a case.
(function () {
  "use strict";
  document.querySelectorAll(".check-item").forEach(function (box) {
    box.addEventListener("change", function () {
      const chosen = box.querySelector("input[type=radio]:checked");
      box.classList.toggle("failed", !!chosen && chosen.value === "fail");
    });
  });
})();
