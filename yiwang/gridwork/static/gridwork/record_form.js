// The phone's position, when the worker asks for it. The button carries the words to show
// (data-unsupported, data-locating, data-failed), translated by the page.
(function () {
  "use strict";
  const locate = document.getElementById("locate");
  const shown = document.getElementById("position");
  if (!locate || !shown) return;
  locate.addEventListener("click", function () {
    if (!navigator.geolocation) { shown.textContent = locate.dataset.unsupported; return; }
    shown.textContent = locate.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("id_lon").value = pos.coords.longitude.toFixed(6);
      document.getElementById("id_lat").value = pos.coords.latitude.toFixed(6);
      shown.textContent = pos.coords.longitude.toFixed(6) + ", " + pos.coords.latitude.toFixed(6);
    }, function () { shown.textContent = locate.dataset.failed; }, { enableHighAccuracy: true, timeout: 10000 });
  });
})();
