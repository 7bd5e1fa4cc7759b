// The command screen: the coloured map with case points, key-person heat and devices; the trend
// and ranking charts; the live feed (polled, no open connections: gunicorn runs sync workers);
// and one-click dispatch / summons in a dialog. Figures come embedded in the page (#screen-data)
// or from /api/command/ with the page's own query (region, days, board, matter, indicator).
(function () {
  "use strict";
  const root = document.getElementById("cc");
  const data = JSON.parse(document.getElementById("screen-data").textContent);
  const query = root.dataset.query;
  const csrf = root.dataset.csrf;
  const wall = data.wall;
  const api = (path, extra) => "/api/command/" + path + "?" + [query, extra].filter(Boolean).join("&");
  const FEED_EVERY_MS = 5000;
  const KPI_EVERY_MS = 60000;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(readJSON);
  }
  function postJSON(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    }).then(readJSON);
  }
  function readJSON(r) {
    return r.json().catch(() => ({})).then((body) => {
      if (!r.ok) throw new Error(describe(r.status, body));
      return body;
    });
  }
  // One sentence for a refused request, naming the field at fault.
  function describe(status, body) {
    const what = { 403: gettext("无权操作"), 404: gettext("不在您的管辖范围或不存在"), 409: gettext("当前状态不能执行此操作"), 422: gettext("填写有误") }[status]
      || say(gettext("请求失败（%(status)s）"), { status });
    let detail = body && body.detail;
    if (detail && typeof detail === "object") detail = Object.entries(detail).map(([k, v]) => say(gettext("%(field)s：%(problem)s"), { field: k, problem: [].concat(v).join(gettext("；")) })).join(gettext("；"));
    return detail ? say(gettext("%(field)s：%(problem)s"), { field: what, problem: detail }) : what;
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === undefined || v === null || v === false) return;
      if (k === "class") node.className = v;
      // Through the CSSOM: the Content-Security-Policy refuses inline style attributes, not this.
      else if (k === "style") node.style.cssText = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    });
    children.flat().forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c))));
    return node;
  }
  const pct = (v) => (v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%");
  const isRate = (name) => name.endsWith("_rate");
  const LOCALE = document.documentElement.lang === "en" ? "en-GB" : "zh-CN";
  // Counts with thousands separators (12,345), as the server-drawn tiles show them.
  const num = (v) => (v === null || v === undefined ? "—" : typeof v === "number" ? v.toLocaleString(LOCALE, { maximumFractionDigits: 2 }) : String(v));
  const fmt = (name, v) => (isRate(name) ? pct(v) : num(v));
  // Words go through Django's JavaScript catalogue (/jsi18n/, loaded before this file), so the
  // screen follows the language chosen for the pages; with no translation the Chinese stays.
  const say = (text, values) => interpolate(text, values, true);
  // Times in the server's zone (北京时间), whatever zone the browser is set to.
  const TIME_ZONE = root.dataset.timeZone || "Asia/Shanghai";
  const when = (iso) => new Date(iso).toLocaleString(LOCALE, { timeZone: TIME_ZONE, hour12: false, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  // Each panel shows "加载中…" (drawn by the template) until its data is in, or the reason it failed.
  function loadingMarks(box) {
    return box.matches(".cc-loading") ? [box] : Array.from(box.querySelectorAll(".cc-loading"));
  }
  function loaded(box) { loadingMarks(box).forEach((n) => n.remove()); }
  function failed(box, err) {
    loadingMarks(box).forEach((n) => n.replaceWith(el("p", { class: "error cc-failed" }, String((err && err.message) || err))));
  }

  // --- Map -----------------------------------------------------------------------------------
  const mapEl = document.getElementById("cc-map");
  // The cluster layer needs a zoom range; the base (tiles or our own data) is the shared mapbase.js's.
  const map = YiwangMap.create(mapEl, { zoomSnap: 0.25, attributionControl: false, minZoom: 3, maxZoom: 19 });
  const GOOD_TO_BAD = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"];
  const NEUTRAL = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
  const layer = data.layer;
  const indicator = layer.indicator;

  // Up to five classes by quantile of the values present: each value goes to the class of its first
  // rank among the sorted values, so equal values share a class; empty classes are dropped.
  function classes(values) {
    const sorted = values.filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
    if (!sorted.length) return null;
    const count = Math.min(GOOD_TO_BAD.length, new Set(sorted).size);
    const groups = [];
    sorted.forEach((v, rank) => {
      if (rank && v === sorted[rank - 1]) return;
      const at = Math.floor((rank * count) / sorted.length);
      const group = groups[groups.length - 1];
      if (group && group.at === at) group.hi = v;
      else groups.push({ at, lo: v, hi: v });
    });
    const last = groups.length - 1;
    groups.forEach((g, i) => { g.colour = paletteColour(last ? Math.round((i * (GOOD_TO_BAD.length - 1)) / last) : 2); });
    return groups;
  }
  function paletteColour(step) {
    if (indicator === "cases") return NEUTRAL[step];
    // Rates: high is good; open / overdue counts: high is bad.
    return layer.worse_when_higher ? GOOD_TO_BAD[step] : GOOD_TO_BAD[GOOD_TO_BAD.length - 1 - step];
  }
  function colourOf(value, groups) {
    if (value === null || value === undefined || !groups) return "#b8c2cc";
    const group = groups.find((g) => value <= g.hi) || groups[groups.length - 1];
    return group.colour;
  }
  const range = classes(layer.features.map((f) => f.properties.value));
  const regions = L.geoJSON({ type: "FeatureCollection", features: layer.features.filter((f) => f.geometry) }, {
    style: (f) => ({ color: wall ? "#5b7fa8" : "#1f3b57", weight: 1.2, fillOpacity: 0.7, fillColor: colourOf(f.properties.value, range) }),
    onEachFeature: (f, l) => {
      const p = f.properties;
      l.bindTooltip(el("span", {}, say(gettext("%(name)s：%(value)s（%(indicator)s）"), { name: p.name, value: fmt(indicator, p.value), indicator: layer.label })), { sticky: true });
      l.on("click", () => {
        if (p.drill_url) { window.location.href = p.drill_url; return; }
        l.bindPopup(el("div", { class: "cc-popup" }, el("strong", {}, p.name), el("br"),
          say(gettext("%(field)s：%(problem)s"), { field: layer.label, problem: fmt(indicator, p.value) }), el("br"),
          el("a", { href: p.list_url }, say(gettext("周期内上报 %(cases)s 件"), { cases: p.cases })))).openPopup();
      });
    },
  });
  if (regions.getBounds().isValid()) map.fitBounds(regions.getBounds(), { padding: [10, 10] });
  else map.setView([31.16, 108.39], 11);
  regions.addTo(map);
  regions.eachLayer((l) => {
    const node = l.getElement();
    if (!node) return;
    const p = l.feature.properties;
    node.setAttribute("data-code", p.code);
    node.setAttribute("data-name", p.name);
    node.setAttribute("data-value", p.value === null ? "" : p.value);
    node.classList.add("cc-unit");
  });
  mapEl.dataset.units = String(layer.features.length);

  (function legend() {
    const box = document.getElementById("cc-legend");
    box.append(el("strong", {}, layer.label));
    if (!range) { box.append(el("span", {}, gettext("无数据"))); return; }
    range.forEach((g) => box.append(el("span", { class: "legend-class", "data-testid": "legend-class" }, el("i", { style: "background:" + g.colour }),
      g.lo === g.hi ? fmt(indicator, g.lo) : fmt(indicator, g.lo) + "–" + fmt(indicator, g.hi))));
    box.dataset.classes = String(range.length);
    if (layer.features.some((f) => f.properties.value === null || f.properties.value === undefined)) {
      box.append(el("span", {}, el("i", { style: "background:#b8c2cc" }), gettext("无数据")));
    }
  })();

  const overlays = {};
  function toggle(name, on) {
    const l = overlays[name];
    if (!l) return;
    if (on) l.addTo(map); else l.remove();
  }
  document.querySelectorAll("[data-layer]").forEach((box) => box.addEventListener("change", () => toggle(box.dataset.layer, box.checked)));
  const wanted = (name) => document.querySelector("[data-layer='" + name + "']").checked;

  function casePopup(c) {
    return el("div", { class: "cc-popup", "data-testid": "case-popup" },
      el("strong", {}, c.number), " ", el("span", { class: "light light-" + c.light }, el("i"), c.light_text), el("br"),
      c.matter + " · " + c.grid, el("br"), c.status_label + (c.approximate ? gettext("（位置为网格中心）") : ""), el("br"),
      el("div", { class: "acts-inline" },
        el("button", { type: "button", "data-testid": "popup-dispatch", onclick: () => openAct(c.number, "dispatch") }, gettext("派遣")),
        el("button", { type: "button", "data-testid": "popup-summon", onclick: () => openAct(c.number, "summon") }, gettext("吹哨")),
        el("a", { href: c.url }, gettext("详情"))));
  }

  const mapLoading = document.querySelector("[data-loading=map]") || document.createElement("p");
  function loadCases() {
    return getJSON(api("cases")).then((body) => {
      if (overlays.cases) overlays.cases.remove();
      const group = L.markerClusterGroup({ disableClusteringAtZoom: 16, maxClusterRadius: 50 });
      body.items.forEach((c) => {
        const icon = L.divIcon({ className: "case-pin light-" + c.light, iconSize: [14, 14],
          html: '<span class="case-hit" data-number="' + c.number.replace(/[^0-9A-Za-z-]/g, "") + '"></span>' });
        group.addLayer(L.marker([c.lat, c.lon], { icon, title: c.number + " " + c.matter, keyboard: true }).bindPopup(() => casePopup(c)));
      });
      overlays.cases = group;
      if (wanted("cases")) group.addTo(map);
      const note = document.getElementById("case-note");
      note.textContent = body.more ? say(gettext("显示最紧急的 %(shown)s 件（在办共 %(total)s 件）"), body) : say(gettext("在办 %(total)s 件"), body);
      mapEl.dataset.cases = String(body.shown);
      loaded(mapLoading);
    }).catch((err) => { document.getElementById("case-note").textContent = String(err.message || err); failed(mapLoading, err); });
  }

  // The heat's blur reaches past the area's edge, where it read as hot spots on the border: after each
  // redraw only what lies inside the units shown is kept (the canvas is drawn in container points).
  function clipToUnits(heat) {
    const draw = heat._redraw;
    heat._redraw = function () {
      draw.call(this);
      if (!regions.getLayers().length) return;
      const shownOn = this._map;
      const ctx = this._canvas.getContext("2d");
      ctx.save();
      ctx.globalCompositeOperation = "destination-in";
      ctx.beginPath();
      const trace = (part) => {
        if (!Array.isArray(part) || !part.length) return;
        if (!(part[0] instanceof L.LatLng)) { part.forEach(trace); return; }
        part.forEach((latlng, i) => {
          const p = shownOn.latLngToContainerPoint(latlng);
          if (i) ctx.lineTo(p.x, p.y); else ctx.moveTo(p.x, p.y);
        });
        ctx.closePath();
      };
      regions.eachLayer((unit) => trace(unit.getLatLngs()));
      // Even-odd: a unit's holes stay out.
      ctx.fill("evenodd");
      ctx.restore();
      mapEl.dataset.heatClipped = "1";
    };
    return heat;
  }

  function loadHeat() {
    getJSON(api("key-persons")).then((body) => {
      const note = document.getElementById("heat-note");
      note.textContent = say(gettext("重点人员 %(persons)s 人：%(located)s 人按所住楼栋定位，%(by_grid_centre)s 人无楼栋坐标，按所在网格中心计。"), body);
      if (!body.points.length || typeof L.heatLayer !== "function") return;
      const max = Math.max(...body.points.map((p) => p[2]));
      overlays.heat = clipToUnits(L.heatLayer(body.points, { radius: 32, blur: 20, max, minOpacity: 0.55 }));
      if (wanted("heat")) overlays.heat.addTo(map);
    }).catch((err) => { document.getElementById("heat-note").textContent = String(err.message || err); });
  }

  function loadDevices() {
    const box = document.getElementById("devices");
    getJSON(api("devices")).then((body) => {
      const group = L.layerGroup();
      body.devices.forEach((d) => {
        const icon = L.divIcon({ className: "device-pin" + (d.alerts ? " alerting" : ""), iconSize: [12, 12] });
        group.addLayer(L.marker([d.lat, d.lon], { icon, title: d.name }).bindPopup(el("div", { class: "cc-popup" },
          el("strong", {}, d.name), el("br"), d.code + " · " + d.matter, el("br"),
          d.last_alert ? say(gettext("周期内告警 %(alerts)s 次，最近 %(last)s"), { alerts: d.alerts, last: when(d.last_alert) }) : say(gettext("周期内告警 %(alerts)s 次"), d))));
      });
      overlays.devices = group;
      if (wanted("devices")) group.addTo(map);
      box.replaceChildren();
      const alerting = body.devices.filter((d) => d.alerts).length;
      box.append(el("p", { class: "muted" }, say(gettext("设备 %(devices)s 台，周期内有告警 %(alerting)s 台"), { devices: body.devices.length, alerting })));
      if (body.alerts.length) {
        box.append(el("ul", { class: "notes" }, body.alerts.map((a) =>
          el("li", {}, when(a.at) + " " + a.device + (a.kind ? say(gettext("（%(kind)s）"), a) : "") + " → ", el("a", { href: "/cases/" + encodeURIComponent(a.case) + "/" }, a.case)))));
      }
    }).catch((err) => failed(box, err));
  }

  function loadCare() {
    const box = document.getElementById("care");
    getJSON(api("care")).then((body) => {
      const t = body.totals;
      box.replaceChildren(el("p", { "data-testid": "care-total" }, say(gettext("纳入关爱 %(under_plan)s 人，按期走访 %(covered)s 人，超期 %(overdue)s 人，覆盖率 %(percent)s"), t)));
      if (!body.grids.length) return;
      box.append(el("p", { class: "muted" }, say(gettext("覆盖率最低的网格（共 %(grid_count)s 个网格有关爱对象）："), body)));
      box.append(el("div", { class: "scroll" }, el("table", { class: "figures care-table" },
        el("thead", {}, el("tr", {}, el("th", {}, gettext("网格")), el("th", {}, gettext("对象")), el("th", {}, gettext("按期")), el("th", {}, gettext("超期")),
          el("th", {}, gettext("覆盖率")), el("th", {}, gettext("网格员")))),
        el("tbody", {}, body.grids.map((g) => el("tr", {}, el("td", {}, g.name), el("td", {}, g.under_plan), el("td", {}, g.covered),
          el("td", {}, g.overdue), el("td", {}, g.percent), el("td", {}, g.workers.join(gettext("、")))))))));
    }).catch((err) => failed(box, err));
  }

  // --- Charts --------------------------------------------------------------------------------
  const theme = wall ? "dark" : null;
  const charts = [];
  function chart(id) {
    const c = echarts.init(document.getElementById(id), theme, { renderer: "canvas" });
    charts.push(c);
    return c;
  }
  window.addEventListener("resize", () => { charts.forEach((c) => c.resize()); });
  if (window.ResizeObserver) new ResizeObserver(() => charts.forEach((c) => c.resize())).observe(root);
  const bg = wall ? "transparent" : undefined;
  // Tooltips built as nodes: ECharts' own tooltip markup carries style attributes, which the
  // Content-Security-Policy refuses; the swatch colour goes through the CSSOM instead.
  function tooltip(format) {
    return {
      trigger: "axis",
      formatter: (params) => {
        const rows = [].concat(params);
        return el("div", { class: "cc-tip" }, el("div", { class: "cc-tip-head" }, rows.length ? rows[0].axisValueLabel : ""),
          rows.map((p) => el("div", { class: "cc-tip-row" }, el("i", { style: "background:" + p.color }), p.seriesName, el("strong", {}, format(p.value)))));
      },
    };
  }

  (function trendChart() {
    const rows = data.trend;
    const [reported, closed, overdue] = [gettext("上报"), gettext("办结"), gettext("超期在办")];
    loaded(document.getElementById("chart-trend"));
    const c = chart("chart-trend");
    c.setOption({
      backgroundColor: bg, tooltip: tooltip((v) => (v === null || v === undefined ? "—" : String(v))), legend: { data: [reported, closed, overdue], top: 0, left: "center" },
      grid: { left: 40, right: 12, top: 36, bottom: 24 },
      xAxis: { type: "category", data: rows.map((r) => r.day.slice(5)) }, yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: reported, type: "bar", data: rows.map((r) => r.cases), itemStyle: { color: "#3182bd" } },
        { name: closed, type: "line", data: rows.map((r) => r.closed), itemStyle: { color: "#2e7d32" } },
        { name: overdue, type: "line", data: rows.map((r) => r.open_overdue), itemStyle: { color: "#c62828" } },
      ],
    });
    c.on("click", (e) => { const row = rows[e.dataIndex]; if (row) window.location.href = row.list_url; });
  })();

  const rankBy = document.getElementById("rank-by");
  const rankOrder = document.getElementById("rank-order");
  const unitOptions = Object.keys(data.rankings).filter((k) => k !== "department");
  unitOptions.forEach((k) => rankBy.append(el("option", { value: k }, data.rank_labels[k])));
  if (!unitOptions.length) rankBy.hidden = true;
  const rankBox = document.getElementById("chart-rank");
  const deptBox = document.getElementById("chart-dept");

  // Rankings as rows of name, bar and value, every label shown (the panel scrolls if long). A bar's
  // length runs over the range of the values shown, lowest to highest, so that close figures (all
  // near 100%) still show their differences; the lowest keeps a stub so that it can be seen.
  const STUB_PERCENT = 6;
  function barWidths(values) {
    const present = values.filter((v) => v !== null && v !== undefined);
    const lo = Math.min(...present), hi = Math.max(...present);
    return values.map((v) => (v === null || v === undefined ? 0
      : hi === lo ? 100 : STUB_PERCENT + ((100 - STUB_PERCENT) * (v - lo)) / (hi - lo)));
  }
  function drawRanking(box, rows, order, urlOf) {
    const sorted = rows.slice().sort((a, b) => (a[order] === null) - (b[order] === null) || (b[order] || 0) - (a[order] || 0) || a.label.localeCompare(b.label));
    const widths = barWidths(sorted.map((r) => r[order]));
    box.replaceChildren(...(sorted.length ? sorted.map((r, i) => el("a", { class: "rank-row", href: urlOf(r), "data-testid": "rank-row", title: r.label },
      el("span", { class: "rank-name" }, r.label),
      el("span", { class: "rank-track" }, el("span", { class: "rank-fill", style: "width:" + widths[i].toFixed(1) + "%" })),
      el("span", { class: "rank-value" }, fmt(order, r[order])))) : [el("p", { class: "muted" }, gettext("无数据"))]));
    box.dataset.rows = String(rows.length);
    if (!rows.length) box.dataset.empty = "1";
  }
  function drawRankings() {
    const order = rankOrder.value;
    if (unitOptions.length) drawRanking(rankBox, data.rankings[rankBy.value] || [], order, (row) => row.drill_url || row.list_url);
    else loaded(rankBox);
    drawRanking(deptBox, data.rankings.department || [], order, (row) => row.list_url);
  }
  rankBy.addEventListener("change", drawRankings);
  rankOrder.addEventListener("change", drawRankings);
  drawRankings();

  // --- Live feed -----------------------------------------------------------------------------
  const feedList = document.getElementById("feed");
  const feedState = document.getElementById("feed-state");
  const feedLoading = document.querySelector("[data-loading=feed]") || document.createElement("p");
  let cursor = null;
  function feedItem(item, fresh) {
    return el("li", { class: fresh ? "fresh" : "", "data-number": item.number, "data-kind": item.kind },
      el("span", { class: "kind kind-" + item.kind }, item.kind === "new" ? gettext("新上报") : gettext("超时")), " ",
      el("a", { href: item.url }, item.number), " ", el("span", { class: "light light-" + item.light }, el("i"), item.light_text), el("br"),
      item.matter + " · " + item.grid + " · " + when(item.at) + " · " + item.status_label,
      item.open ? el("div", { class: "acts-inline" },
        el("button", { type: "button", "data-testid": "feed-dispatch", onclick: () => openAct(item.number, "dispatch") }, gettext("派遣")),
        el("button", { type: "button", "data-testid": "feed-summon", onclick: () => openAct(item.number, "summon") }, gettext("吹哨"))) : "");
  }
  const shown = new Set();
  let polling = false;
  function pollFeed() {
    // One poll at a time; ids already shown are skipped (the server re-sends a few behind the cursor).
    if (polling) return Promise.resolve();
    polling = true;
    const first = cursor === null;
    return getJSON(api("feed", first ? "" : "after=" + cursor)).then((body) => {
      const fresh = body.items.filter((item) => !shown.has(item.id));
      fresh.forEach((item) => shown.add(item.id));
      // The first answer is newest first; later ones oldest first, each prepended so the newest is on top.
      if (first) feedList.append(...fresh.map((item) => feedItem(item, false)));
      else fresh.forEach((item) => feedList.prepend(feedItem(item, true)));
      while (feedList.children.length > 60) feedList.lastChild.remove();
      if (cursor === null || body.cursor > cursor) cursor = body.cursor;
      loaded(feedLoading);
      const at = new Date().toLocaleTimeString(LOCALE, { timeZone: TIME_ZONE, hour12: false });
      feedState.textContent = say(feedList.children.length ? gettext("更新于 %(at)s") : gettext("更新于 %(at)s，暂无动态"), { at });
      if (fresh.length && !first) loadCases();
      return body.more;
    }).catch((err) => { feedState.textContent = String(err.message || err); failed(feedLoading, err); return false; })
      .finally(() => { polling = false; })
      .then((more) => { if (more) return pollFeed(); });
  }
  pollFeed();
  setInterval(() => { if (!document.hidden) pollFeed(); }, FEED_EVERY_MS);

  // The tiles refresh in place (the wall stays up all day).
  function refreshKpi() {
    getJSON(api("kpi")).then((body) => {
      const put = (sel, v) => { const n = root.querySelector(sel); if (n) n.textContent = v; };
      const t = body.total;
      ["today_reported", "open_now", "overdue_now", "period_cases"].forEach((k) => put("[data-testid=kpi-" + k + "]", num(t[k])));
      put("[data-testid=kpi-on_time_rate]", pct(t.period_on_time_rate));
      put("[data-testid=kpi-satisfaction_rate]", pct(t.period_satisfaction_rate));
      put("[data-testid=kpi-on_time]", num(t.period_closed_on_time)); put("[data-testid=kpi-judged]", num(t.period_judged));
      put("[data-testid=kpi-satisfied]", num(t.period_satisfied)); put("[data-testid=kpi-rated]", num(t.period_rated));
      Object.entries(body.by_board).forEach(([b, f]) => ["today_reported", "open_now", "overdue_now"].forEach((k) => put("[data-testid=board-" + b + "-" + k + "]", num(f[k]))));
      (body.national || []).forEach((r) => {
        put("[data-testid=national-" + r.key + "]", pct(r.value));
        put("[data-rate=" + r.key + "] [data-part=numerator]", num(r.numerator));
        put("[data-rate=" + r.key + "] [data-part=denominator]", num(r.denominator));
      });
    }).catch(() => {});
  }
  setInterval(() => { if (!document.hidden) refreshKpi(); }, KPI_EVERY_MS);

  // --- One-click dispatch and summons --------------------------------------------------------
  const dialog = document.getElementById("act");
  const body = document.getElementById("act-body");
  const STEP_LABELS = { accept: gettext("受理立案"), dispatch: gettext("派遣"), summon: gettext("吹哨") };

  function openAct(number, mode) {
    body.replaceChildren(el("p", { class: "muted" }, gettext("加载中…")));
    if (!dialog.open) dialog.showModal();
    getJSON("/api/command/cases/" + encodeURIComponent(number) + "/dispatch-options").then((o) => renderAct(o, mode))
      .catch((err) => body.replaceChildren(el("p", { class: "error", "data-testid": "act-error" }, String(err.message || err))));
  }

  function renderAct(o, mode) {
    const result = el("div", { class: "result", "data-testid": "act-result", role: "status" });
    const fail = (err) => result.replaceChildren(el("p", { class: "error", "data-testid": "act-error" }, String(err.message || err)));
    const s = o.suggestion;
    const head = [
      el("h2", {}, mode === "summon" ? gettext("吹哨报到") : gettext("一键派遣"), " · ", el("a", { href: o.url }, o.number)),
      el("p", {}, o.matter + " · " + o.grid + " · " + o.status_label + " ", el("span", { class: "light light-" + o.light }, el("i"), o.light_text)),
      o.description ? el("p", { class: "muted" }, o.description) : "",
      el("p", { "data-testid": "act-suggestion" }, gettext("分拨建议：派往 "), el("strong", {}, s.target), s.kind === "department" ? gettext("（部门）") : gettext("（属地单位）")),
      s.reasons.length ? el("ul", { class: "reasons", "data-testid": "act-reasons" }, s.reasons.map((r) => el("li", {}, r))) : "",
    ];
    let form;
    if (mode === "summon") {
      if (!o.summon_steps.length) {
        form = el("p", { class: "error" }, say(gettext("当前状态（%(status_label)s）不能吹哨。"), o));
      } else {
        const reason = el("textarea", { name: "reason", rows: 3, required: true, "data-testid": "summon-reason", placeholder: gettext("哨令：需要哪些部门到场、做什么") });
        const hours = el("input", { type: "number", name: "hours", min: "0.5", step: "0.5", value: "2", "aria-label": gettext("报到时限（工作小时）") });
        const boxes = o.departments.map((d) => el("label", { class: "check" }, el("input", { type: "checkbox", value: d.id, "data-testid": "summon-dept" }), d.name));
        form = el("form", { class: "stack", onsubmit: (e) => {
          e.preventDefault();
          const chosen = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => Number(i.value));
          postJSON("/api/command/cases/" + encodeURIComponent(o.number) + "/summon", { reason: reason.value, departments: chosen, checkin_hours: Number(hours.value) || 2 })
            .then((r) => { result.replaceChildren(el("p", { class: "ok" }, say(gettext("已吹哨：%(parties)s（事件现为“%(status_label)s”）"), { parties: r.parties.join(gettext("、")), status_label: r.status_label }))); pollFeed(); })
            .catch(fail);
        } },
        el("p", { class: "muted" }, say(gettext("将执行：%(steps)s"), { steps: o.summon_steps.map((x) => STEP_LABELS[x]).join(" → ") })),
        el("label", {}, gettext("哨令"), reason), el("div", {}, gettext("报到部门")), el("div", { class: "dept-list" }, boxes.length ? boxes : gettext("没有可吹哨的部门")),
        el("label", {}, gettext("报到时限（工作小时）"), hours),
        el("button", { type: "submit", class: "primary", "data-testid": "summon-submit" }, gettext("吹哨")));
      }
    } else if (!o.dispatch_steps.length) {
      form = el("p", { class: "error", "data-testid": "act-refused" }, say(gettext("当前状态（%(status_label)s）不能派遣。"), o));
    } else {
      const select = el("select", { name: "department", "data-testid": "dispatch-department" },
        el("option", { value: "" }, say(gettext("按分拨建议：%(target)s"), s)), o.departments.map((d) => el("option", { value: d.id }, d.name)));
      form = el("form", { class: "stack", onsubmit: (e) => {
        e.preventDefault();
        const button = form.querySelector("button");
        button.disabled = true;
        postJSON("/api/command/cases/" + encodeURIComponent(o.number) + "/dispatch", { department: select.value ? Number(select.value) : null })
          .then((r) => { result.replaceChildren(el("p", { class: "ok", "data-testid": "act-done" }, say(gettext("已派遣至 %(to)s（事件现为“%(status_label)s”）"), r))); loadCases(); })
          .catch((err) => { button.disabled = false; fail(err); });
      } },
      el("p", { class: "muted" }, say(gettext("将执行：%(steps)s"), { steps: o.dispatch_steps.map((x) => STEP_LABELS[x]).join(" → ") })),
      el("label", {}, gettext("派往"), select),
      el("button", { type: "submit", class: "primary", "data-testid": "dispatch-submit" }, gettext("一键派遣")));
    }
    body.replaceChildren(...head, form, result);
  }

  loadCases();
  loadHeat();
  loadDevices();
  loadCare();
})();
