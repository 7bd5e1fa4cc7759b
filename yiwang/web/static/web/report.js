// Case pages. The report forms: pick the position on the grid outlines (over the base from the
// shared mapbase.js; a picked latlng is WGS-84 whatever the tiles' system) or from the phone's GPS, refresh the duplicate
// suggestions, and show the "solved on the spot" part only for tier-A matters. The case page: draw
// the case's grid and point. Every form still works without this script (coordinates can be typed).
(function () {
  "use strict";
  const GRID_STYLE = { color: "#1f3b57", weight: 1.2, fillColor: "#c6dbef", fillOpacity: 0.45 };
  const POINT_STYLE = { radius: 8, color: "#b3261e", weight: 3, fillColor: "#b3261e", fillOpacity: 0.8 };
  const FALLBACK_VIEW = [[31.16, 108.39], 11];

  // Ray casting on a GeoJSON ring of [lon, lat] pairs.
  function inRing(lon, lat, ring) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function inGeometry(lon, lat, geometry) {
    if (!geometry) return false;
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    return polygons.some((rings) => inRing(lon, lat, rings[0]) && !rings.slice(1).some((hole) => inRing(lon, lat, hole)));
  }

  function picker(el) {
    const form = el.closest("form");
    const lon = form.querySelector("[name=lon]");
    const lat = form.querySelector("[name=lat]");
    const status = document.getElementById("position-status");
    const text = el.dataset;
    const map = YiwangMap.create(el, { attributionControl: false });
    let features = [];
    let marker = null;

    const gridAt = (latlng) => features.find((f) => inGeometry(latlng.lng, latlng.lat, f.geometry)) || null;

    function setPoint(latlng, how, force) {
      const grid = gridAt(latlng);
      if (!grid && features.length && !force) {
        status.textContent = text.textOutside;
        return;
      }
      lon.value = latlng.lng.toFixed(6);
      lat.value = latlng.lat.toFixed(6);
      if (marker) marker.setLatLng(latlng);
      else marker = L.circleMarker(latlng, POINT_STYLE).addTo(map);
      if (text.words && grid) {
        // The residents' page says where in words first: the grid's name, the numbers after it.
        status.textContent = (how ? how + " · " : "") + text.textPicked + "：" + grid.properties.name + "（" + lon.value + ", " + lat.value + "）";
      } else {
        status.textContent = (how ? how + " · " : "") + text.textPicked + "：" + lon.value + ", " + lat.value +
          (grid ? " · " + grid.properties.name : features.length ? " · " + text.textOutside : "");
      }
      el.dataset.lon = lon.value;
      el.dataset.lat = lat.value;
      el.dataset.grid = grid ? grid.properties.code : "";
      const dupes = document.getElementById("duplicates");
      if (dupes && window.htmx) htmx.trigger(dupes, "refresh");
    }

    map.on("click", (e) => setPoint(e.latlng, "", false));

    function typed() {
      const x = parseFloat(lon.value), y = parseFloat(lat.value);
      if (Number.isFinite(x) && Number.isFinite(y)) setPoint(L.latLng(y, x), "", true);
    }
    lon.addEventListener("change", typed);
    lat.addEventListener("change", typed);

    const locate = document.getElementById("locate");
    if (locate && !navigator.geolocation) locate.hidden = true;
    if (locate) locate.addEventListener("click", () => {
      status.textContent = text.textLocating;
      navigator.geolocation.getCurrentPosition((pos) => {
        const here = L.latLng(pos.coords.latitude, pos.coords.longitude);
        setPoint(here, text.textLocated, true);
        map.setView(here, Math.max(map.getZoom() || 0, 16));
      }, () => { status.textContent = text.textNogps; }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });

    fetch(text.grids, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then((collection) => {
        features = collection.features.filter((f) => f.geometry);
        const layer = L.geoJSON({ type: "FeatureCollection", features }, {
          style: () => GRID_STYLE,
          // Leaflet inserts tooltip strings as HTML; grid names come from users, so pass a text node.
          onEachFeature: (f, l) => l.bindTooltip(document.createTextNode(f.properties.name), { sticky: true }),
        });
        // Leaflet only draws once the map has a view, so set the view before adding the layer.
        if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
        else map.setView(...FALLBACK_VIEW);
        layer.addTo(map);
        layer.eachLayer((l) => { const node = l.getElement(); if (node) node.setAttribute("data-code", l.feature.properties.code); });
      })
      .catch(() => { if (!map._loaded) map.setView(...FALLBACK_VIEW); })
      .finally(() => {
        el.dataset.ready = "1";
        if (lon.value && lat.value) typed();
      });
  }

  function tierSwitch() {
    const matter = document.getElementById("id_matter");
    const part = document.getElementById("on-spot");
    if (!matter || !part) return;
    const box = part.querySelector("[name=solve_on_spot]");
    const fields = part.querySelector(".on-spot-fields");
    const sync = () => {
      const option = matter.options[matter.selectedIndex];
      const tierA = !!option && option.dataset.tier === "A";
      part.hidden = !tierA;
      if (!tierA && box) box.checked = false;
      if (fields) fields.hidden = !(box && box.checked);
    };
    matter.addEventListener("change", sync);
    if (box) box.addEventListener("change", sync);
    sync();
  }

  function caseMap(el) {
    const grid = JSON.parse(document.getElementById("case-grid").textContent);
    const point = JSON.parse(document.getElementById("case-point").textContent);
    const map = YiwangMap.create(el, { attributionControl: false });
    const outline = grid ? L.geoJSON(grid, { style: () => GRID_STYLE }) : null;
    if (outline && outline.getBounds().isValid()) map.fitBounds(outline.getBounds(), { padding: [8, 8] });
    else if (point) map.setView([point.lat, point.lon], 16);
    else map.setView(...FALLBACK_VIEW);
    if (outline) outline.addTo(map);
    if (point) L.circleMarker([point.lat, point.lon], POINT_STYLE).addTo(map);
  }

  const pick = document.getElementById("pick-map");
  if (pick) picker(pick);
  tierSwitch();
  const shown = document.getElementById("case-map");
  if (shown) caseMap(shown);
})();
