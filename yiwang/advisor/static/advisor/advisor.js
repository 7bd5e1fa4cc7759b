// The advisor's two maps (yiwang/advisor/templates/advisor/_maps.html): today's grids and the
// proposed ones side by side, each grid in its own colour, the buildings as dots coloured by the
// grid they are in on that map. Both maps move together. Clicking a building on the proposal map
// brings its row of the adjustment form into view and focuses it.
(function () {
  "use strict";
  const data = document.getElementById("advisor-layers");
  if (!data || !window.L || !window.YiwangMap) return;
  const layers = JSON.parse(data.textContent);
  if (!layers) return;
  const PALETTE = ["#c0392b", "#2e86c1", "#28b463", "#d68910", "#8e44ad", "#17a589", "#cb4335", "#2874a6",
    "#239b56", "#b9770e", "#6c3483", "#148f77", "#e74c3c", "#5dade2", "#58d68d", "#f5b041"];
  const codes = Array.from(new Set(layers.buildings.flatMap((b) => [b.current, b.proposed])
    .concat(layers.current.features.map((f) => f.properties.code), layers.proposed.features.map((f) => f.properties.code)))).sort();
  const colourOf = (code) => PALETTE[Math.max(0, codes.indexOf(code)) % PALETTE.length];
  const households = gettext("户");
  const maps = [];

  function draw(el) {
    const which = el.dataset.layer;
    const map = window.YiwangMap.create(el, {});
    const shapes = L.geoJSON(layers[which], {
      style: (f) => ({ color: colourOf(f.properties.code), weight: 2, fillOpacity: 0.18, dashArray: f.properties.connected ? null : "6 4" }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindTooltip(document.createTextNode(p.name + " · " + p.households + " " + households + " · " + p.workload));
      },
    });
    const dots = layers.buildings.map((b) => {
      const dot = L.circleMarker([b.lat, b.lon], { radius: 4, weight: 1, color: "#333", fillColor: colourOf(b[which]), fillOpacity: 1 })
        .bindTooltip(document.createTextNode(b.code + " · " + b.households + " " + households));
      if (which === "proposed") dot.on("click", () => focusRow(b.code));
      return dot;
    });
    // Leaflet draws nothing before the map has a view: frame the grids (or the buildings) first.
    const bounds = shapes.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    else if (dots.length) map.fitBounds(L.featureGroup(dots).getBounds(), { padding: [8, 8] });
    else map.setView([0, 0], 3);
    shapes.addTo(map);
    dots.forEach((dot) => dot.addTo(map));
    el.dataset.grids = String(layers[which].features.length);
    el.dataset.ready = "1";
    maps.push(map);
  }

  function focusRow(code) {
    const input = document.querySelector('input[data-building="' + CSS.escape(code) + '"]');
    if (!input) return;
    input.scrollIntoView({ block: "center" });
    input.focus();
    input.select();
  }

  // Moving one map moves the other, so the two divisions are compared over the same ground.
  function link() {
    let syncing = false;
    maps.forEach((map) => map.on("moveend", () => {
      if (syncing) return;
      syncing = true;
      maps.forEach((other) => { if (other !== map) other.setView(map.getCenter(), map.getZoom(), { animate: false }); });
      syncing = false;
    }));
  }

  document.querySelectorAll(".advisor-map").forEach(draw);
  link();

  // Rows whose grid the street changes are marked as moved.
  document.querySelectorAll("input[data-building]").forEach((input) => {
    const row = input.closest("tr");
    const current = row ? row.children[3].textContent.trim() : "";
    input.addEventListener("input", () => row && row.classList.toggle("moved", input.value.trim() !== current));
  });
})();
