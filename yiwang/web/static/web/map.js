// The one-grid map: drill down district → street → community → grid → micro-grid, colouring each
// child polygon by the chosen figure. Data comes from the scoped JSON API; the base under the
// polygons (tiles, or our own outlines and names) comes from the shared mapbase.js.
(function () {
  "use strict";
  const el = document.getElementById("map");
  const figureSelect = document.getElementById("figure");
  const crumbs = document.getElementById("crumbs");
  const legend = document.getElementById("legend");
  const palette = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];
  const map = YiwangMap.create(el, { attributionControl: false });
  let layer = null;
  let current = null;

  const getJSON = (url) =>
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((r) => {
      if (!r.ok) throw new Error(url + " → " + r.status);
      return r.json();
    });

  // Class limits (upper bounds, ascending, no repeats) for at most five classes.
  function breaks(values) {
    const max = Math.max(0, ...values);
    const classes = Math.min(palette.length, Math.max(1, max));
    const limits = [];
    for (let i = 1; i <= classes; i++) {
      const upper = Math.ceil((max * i) / classes);
      if (!limits.length || upper > limits[limits.length - 1]) limits.push(upper);
    }
    return limits.length ? limits : [0];
  }

  function shade(index, count) {
    return palette[count === 1 ? palette.length - 1 : Math.round((index * (palette.length - 1)) / (count - 1))];
  }

  function colour(value, limits) {
    for (let i = 0; i < limits.length; i++) if (value <= limits[i]) return shade(i, limits.length);
    return shade(limits.length - 1, limits.length);
  }

  function showPanel(code) {
    htmx.ajax("GET", "/map/" + encodeURIComponent(code) + "/panel", { target: "#panel", swap: "innerHTML" });
  }

  function drawLegend(limits) {
    const label = figureSelect.options[figureSelect.selectedIndex].text;
    let lower = 0;
    // Built as nodes: the swatch colour goes through the CSSOM (the Content-Security-Policy
    // refuses inline style attributes in markup), and the label is text, not markup.
    const title = document.createElement("strong");
    title.textContent = label;
    legend.replaceChildren(title);
    limits.forEach((upper, i) => {
      const row = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.style.background = shade(i, limits.length);
      row.append(swatch, lower === upper ? String(upper) : lower + "–" + upper);
      legend.appendChild(row);
      lower = upper + 1;
    });
  }

  function drawCrumbs(detail) {
    const parts = detail.ancestors.concat([{ code: detail.code, name: detail.name }]);
    crumbs.innerHTML = "";
    parts.forEach((p, i) => {
      const a = document.createElement(i === parts.length - 1 ? "strong" : "a");
      a.textContent = p.name;
      if (i < parts.length - 1) { a.href = "#"; a.dataset.code = p.code; a.addEventListener("click", (e) => { e.preventDefault(); load(p.code); }); }
      crumbs.appendChild(a);
      if (i < parts.length - 1) crumbs.appendChild(document.createTextNode(" › "));
    });
  }

  function render(collection, detail) {
    const figure = figureSelect.value;
    if (layer) layer.remove();
    const leaf = collection.features.length === 0;
    const features = leaf && detail.geometry
      ? [{ type: "Feature", geometry: detail.geometry, properties: Object.assign({ code: detail.code, name: detail.name, has_children: false }, detail.figures) }]
      : collection.features.filter((f) => f.geometry);
    const limits = breaks(features.map((f) => f.properties[figure] || 0));
    layer = L.geoJSON({ type: "FeatureCollection", features }, {
      style: (f) => ({ color: "#1f3b57", weight: 1.2, fillOpacity: YiwangMap.hasTiles ? 0.5 : 0.75, fillColor: colour(f.properties[figure] || 0, limits) }),
      onEachFeature: (f, l) => {
        const p = f.properties;
        // Leaflet inserts tooltip strings as HTML; names come from users, so pass a text node.
        l.bindTooltip(document.createTextNode(p.name + "：" + (p[figure] || 0)), { sticky: true });
        l.on("click", () => (p.has_children ? load(p.code) : showPanel(p.code)));
      },
    });
    // Leaflet only draws once the map has a view, so set the view before adding the layer.
    if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [12, 12] });
    else if (!map._loaded) map.setView([31.16, 108.39], 11);
    layer.addTo(map);
    layer.eachLayer((l) => { const node = l.getElement(); if (node) { node.setAttribute("data-code", l.feature.properties.code); node.setAttribute("data-name", l.feature.properties.name); node.setAttribute("data-value", l.feature.properties[figure] || 0); } });
    drawLegend(limits);
    el.dataset.current = detail.code;
    el.dataset.count = String(features.length);
  }

  let lastCollection = null, lastDetail = null;
  function load(code, push = true) {
    Promise.all([getJSON("/api/regions/" + code), getJSON("/api/regions/" + code + "/children")]).then(([detail, children]) => {
      current = code; lastDetail = detail; lastCollection = children;
      drawCrumbs(detail);
      render(children, detail);
      showPanel(code);
      if (push) history.pushState({ code }, "", "/map/" + code + "/");
    }).catch((err) => { legend.textContent = String(err); });
  }

  figureSelect.addEventListener("change", () => lastDetail && render(lastCollection, lastDetail));
  window.addEventListener("popstate", (e) => e.state && e.state.code && load(e.state.code, false));
  load(el.dataset.root, false);
})();
