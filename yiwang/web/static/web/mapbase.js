// The one map set-up every map page uses: YiwangMap.create(element, leafletOptions) makes the Leaflet
// map and gives it a base. The base comes from the settings (yiwang/regions/basemap.py), written on
// this script's own tag by the `map_base_script` template tag (no inline script: CSP):
// - a tile server (XYZ template, or WMTS turned into one on the server), with the tiles' coordinate
//   system: WGS-84/CGCS2000 as is; GCJ-02 through a projection that shifts our WGS-84 shapes the way
//   the tiles are shifted, so everything lines up and every latlng Leaflet hands back (a click, a
//   picked point) is still WGS-84;
// - or, with no tile server, a base drawn from our own data: street, community and grid outlines,
//   their names as labels by zoom, and named buildings and places when close in (residents' pages
//   ask the public endpoints: outlines and public places only).
(function () {
  "use strict";
  const config = (document.currentScript && document.currentScript.dataset) || {};
  const hasTiles = !!config.tileUrl;

  // --- GCJ-02, the same series as yiwang/regions/coords.py --------------------------------------
  const SEMI_MAJOR_AXIS = 6378245.0;
  const ECCENTRICITY_SQUARED = 0.00669342162296594323;
  const INVERSE_TOLERANCE_DEG = 1e-11;
  const INVERSE_MAX_STEPS = 30;

  function outOfChina(lon, lat) {
    return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
  }

  function gcjShift(lon, lat) {
    const x = lon - 105.0, y = lat - 35.0, pi = Math.PI;
    const rootAbsX = Math.sqrt(Math.abs(x));
    const waves = ((20.0 * Math.sin(6.0 * x * pi) + 20.0 * Math.sin(2.0 * x * pi)) * 2.0) / 3.0;
    let dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * rootAbsX;
    dlat += waves;
    dlat += ((20.0 * Math.sin(y * pi) + 40.0 * Math.sin((y / 3.0) * pi)) * 2.0) / 3.0;
    dlat += ((160.0 * Math.sin((y / 12.0) * pi) + 320.0 * Math.sin((y * pi) / 30.0)) * 2.0) / 3.0;
    let dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * rootAbsX;
    dlon += waves;
    dlon += ((20.0 * Math.sin(x * pi) + 40.0 * Math.sin((x / 3.0) * pi)) * 2.0) / 3.0;
    dlon += ((150.0 * Math.sin((x / 12.0) * pi) + 300.0 * Math.sin((x / 30.0) * pi)) * 2.0) / 3.0;
    const radLat = (lat / 180.0) * pi;
    const sinLat = Math.sin(radLat);
    const magic = 1.0 - ECCENTRICITY_SQUARED * sinLat * sinLat;
    const sqrtMagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / (((SEMI_MAJOR_AXIS * (1.0 - ECCENTRICITY_SQUARED)) / (magic * sqrtMagic)) * pi);
    dlon = (dlon * 180.0) / ((SEMI_MAJOR_AXIS / sqrtMagic) * Math.cos(radLat) * pi);
    return [dlon, dlat];
  }

  function toGcj(lon, lat) {
    if (outOfChina(lon, lat)) return [lon, lat];
    const [dlon, dlat] = gcjShift(lon, lat);
    return [lon + dlon, lat + dlat];
  }

  // No closed form: subtract the shift measured at the current guess until it stops moving.
  function toWgs(lon, lat) {
    if (outOfChina(lon, lat)) return [lon, lat];
    let guessLon = lon, guessLat = lat;
    for (let i = 0; i < INVERSE_MAX_STEPS; i++) {
      const [dlon, dlat] = gcjShift(guessLon, guessLat);
      const nextLon = lon - dlon, nextLat = lat - dlat;
      const converged = Math.abs(nextLon - guessLon) < INVERSE_TOLERANCE_DEG && Math.abs(nextLat - guessLat) < INVERSE_TOLERANCE_DEG;
      guessLon = nextLon; guessLat = nextLat;
      if (converged) break;
    }
    return [guessLon, guessLat];
  }

  // The tiles' grid: Web Mercator, or longitude/latitude (天地图 *_c, EPSG:4490 ≈ EPSG:4326).
  function gridCrs() {
    return config.tileGrid === "geographic" ? L.CRS.EPSG4326 : L.CRS.EPSG3857;
  }

  // The tiles' grid over GCJ-02: latlngs stay WGS-84 everywhere in the page; only where they land on
  // the tiles is shifted.
  function gcjCrs(base) {
    const crs = base || L.CRS.EPSG3857;
    const inner = crs.projection;
    const projection = {
      bounds: inner.bounds,
      project(latlng) { const [lon, lat] = toGcj(latlng.lng, latlng.lat); return inner.project(L.latLng(lat, lon)); },
      unproject(point) { const shifted = inner.unproject(point); const [lon, lat] = toWgs(shifted.lng, shifted.lat); return L.latLng(lat, lon); },
    };
    if (inner.R) projection.R = inner.R;
    if (inner.MAX_LATITUDE) projection.MAX_LATITUDE = inner.MAX_LATITUDE;
    return L.extend({}, crs, { code: "GCJ02:" + crs.code, projection });
  }

  function escapeText(text) {
    const box = document.createElement("span");
    box.textContent = text;
    return box.innerHTML;
  }

  // --- A tile server -----------------------------------------------------------------------------
  function addTiles(map, maxZoom) {
    const nativeMax = parseInt(config.tileMaxZoom, 10) || 18;
    const options = { maxNativeZoom: nativeMax, maxZoom: Math.max(nativeMax, maxZoom), className: "base-tiles" };
    if (config.tileSubdomains) options.subdomains = config.tileSubdomains;
    const offset = parseInt(config.tileZoomOffset, 10) || 0;
    // The server numbers its levels `offset` ahead of the map's zoom (天地图 *_c: its level 1 is zoom 0 here).
    if (offset) { options.zoomOffset = offset; options.maxNativeZoom = nativeMax - offset; options.maxZoom = Math.max(nativeMax - offset, maxZoom); }
    // The attribution is a setting, shown as text (Leaflet would insert it as HTML).
    if (config.tileAttribution) {
      options.attribution = escapeText(config.tileAttribution);
      L.control.attribution({ prefix: false }).addTo(map);
    }
    L.tileLayer(config.tileUrl, options).addTo(map);
  }

  // --- The base drawn from our own data ------------------------------------------------------------
  const OUTLINE_STYLE = {
    street: { color: "#6b5b45", weight: 2.5, dashArray: "8 4", fill: false },
    community: { color: "#8c7b62", weight: 1.6, dashArray: "4 3", fill: false },
    grid: { color: "#a89f91", weight: 0.8, fill: false },
  };
  // Which names show at which zoom: the district's streets far out, grids close in.
  const LABEL_ZOOMS = { street: [0, 13.5], community: [12.5, 15.5], grid: [14, 99] };
  const FEATURES_FROM_ZOOM = 16;
  const MAX_LABELS = 300;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((r) => {
      if (!r.ok) throw new Error(url + " → " + r.status);
      return r.json();
    });
  }

  function bboxParam(bounds) {
    return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map((v) => v.toFixed(6)).join(",");
  }

  function label(latlng, text, kind) {
    // Names come from users: a text node, never markup.
    const onPoint = kind === "building" || kind === "place";
    return L.tooltip({ permanent: true, direction: onPoint ? "right" : "center", offset: onPoint ? [4, 0] : [0, 0], interactive: false, className: "base-label base-label-" + kind })
      .setLatLng(latlng).setContent(document.createTextNode(text));
  }

  function addOwnBase(map, el) {
    const publicOnly = config.audience === "public";
    const outlinesUrl = publicOnly ? "/api/regions/basemap/public-outlines" : "/api/regions/basemap/outlines";
    const featuresUrl = publicOnly ? "/api/registry/basemap/public" : "/api/registry/basemap";
    map.createPane("base-outlines").style.zIndex = 250; // under the pages' own shapes
    map.createPane("base-points").style.zIndex = 450; // over them, never catching a click
    map.getPane("base-points").style.pointerEvents = "none";
    const outlines = L.layerGroup().addTo(map);
    const labels = L.layerGroup().addTo(map);
    const points = L.layerGroup().addTo(map);
    let shapes = []; // [{level, name, bounds}]
    let outlinesFor = null, featuresFor = null;

    function drawLabels() {
      labels.clearLayers();
      const zoom = map.getZoom(), view = map.getBounds();
      let shown = 0;
      shapes.forEach((s) => {
        const [from, to] = LABEL_ZOOMS[s.level] || [99, 99];
        if (zoom < from || zoom > to || shown >= MAX_LABELS || !view.contains(s.centre)) return;
        labels.addLayer(label(s.centre, s.name, s.level));
        shown++;
      });
      el.dataset.baseLabels = String(shown);
    }

    function loadOutlines() {
      const wanted = map.getBounds().pad(0.5);
      outlinesFor = wanted;
      return getJSON(outlinesUrl + "?bbox=" + bboxParam(wanted)).then((collection) => {
        outlines.clearLayers();
        shapes = [];
        L.geoJSON(collection, {
          pane: "base-outlines", interactive: false,
          style: (f) => OUTLINE_STYLE[f.properties.level] || OUTLINE_STYLE.grid,
          onEachFeature: (f, layer) => shapes.push({ level: f.properties.level, name: f.properties.name, centre: layer.getBounds().getCenter() }),
        }).addTo(outlines);
        drawLabels();
      });
    }

    function loadFeatures() {
      const wanted = map.getBounds().pad(0.3);
      featuresFor = wanted;
      return getJSON(featuresUrl + "?bbox=" + bboxParam(wanted)).then((body) => {
        points.clearLayers();
        body.buildings.forEach((b) => points.addLayer(
          L.circleMarker([b.lat, b.lon], { pane: "base-points", radius: 3, weight: 1, color: "#5d4e3a", fillColor: "#d8c8a8", fillOpacity: 1, interactive: false })));
        body.places.forEach((p) => points.addLayer(
          L.circleMarker([p.lat, p.lon], { pane: "base-points", radius: 4, weight: 1, color: "#2f5d50", fillColor: "#8fc1a9", fillOpacity: 1, interactive: false })));
        body.buildings.forEach((b) => points.addLayer(label([b.lat, b.lon], b.name, "building")));
        body.places.forEach((p) => points.addLayer(label([p.lat, p.lon], p.name, "place")));
        el.dataset.basePoints = String(body.buildings.length + body.places.length);
      });
    }

    function refresh() {
      const view = map.getBounds();
      const work = [];
      if (!outlinesFor || !outlinesFor.contains(view)) work.push(loadOutlines());
      else drawLabels();
      if (map.getZoom() >= FEATURES_FROM_ZOOM) {
        if (!featuresFor || !featuresFor.contains(view)) work.push(loadFeatures());
        else if (!map.hasLayer(points)) points.addTo(map);
      } else {
        featuresFor = null;
        points.clearLayers();
      }
      Promise.all(work).then(() => { el.dataset.base = "own"; }).catch(() => { el.dataset.base = "own-failed"; });
    }

    map.whenReady(() => { refresh(); map.on("moveend", refresh); });
  }

  function create(el, options) {
    const settings = Object.assign({ zoomSnap: 0.25, minZoom: 3, maxZoom: 19 }, options || {});
    if (hasTiles) settings.crs = config.tileCrs === "gcj02" ? gcjCrs(gridCrs()) : gridCrs();
    const map = L.map(el, settings);
    if (hasTiles) {
      addTiles(map, settings.maxZoom);
      el.dataset.base = "tiles";
    } else {
      el.classList.add("own-base");
      addOwnBase(map, el);
    }
    return map;
  }

  window.YiwangMap = { create, hasTiles, gcj: { toGcj, toWgs, crs: gcjCrs } };
})();
