// The 分析研判 charts: each [data-chart] box draws the chart of that name from the page's
// "analysis-charts" JSON (built by analysis/charts.py); a chart without data says so in the box's
// data-empty words instead. No strings of its own: every label arrives translated from the server.
(function () {
  "use strict";
  const source = document.getElementById("analysis-charts");
  if (!source) return;
  const specs = JSON.parse(source.textContent);
  const COLOURS = { actual: "#1f4e8c", usual: "#9aa5b1", forecast: "#d9822b" };
  const drawn = [];

  function bars(spec) {
    // Horizontal bars: long grid and matter names stay readable on a phone.
    return {
      animationDuration: 300,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      legend: { show: spec.series.length > 1, top: 0 },
      grid: { left: 8, right: 40, top: spec.series.length > 1 ? 28 : 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: spec.categories, axisLabel: { width: 120, overflow: "truncate" } },
      series: spec.series.map((s) => ({ type: "bar", name: s.name, data: s.data, itemStyle: { color: COLOURS[s.role] },
        label: { show: true, position: "right" }, barMaxWidth: 18 })),
    };
  }

  function line(spec) {
    return {
      animationDuration: 300,
      tooltip: { trigger: "axis", confine: true },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: spec.categories, boundaryGap: false },
      yAxis: { type: "value", minInterval: 1 },
      series: spec.series.map((s) => ({ type: "line", name: s.name, data: s.data, connectNulls: false, symbolSize: 5,
        itemStyle: { color: COLOURS[s.role] }, lineStyle: { color: COLOURS[s.role], type: s.role === "forecast" ? "dashed" : "solid" } })),
    };
  }

  document.querySelectorAll("[data-chart]").forEach((box) => {
    const spec = specs[box.dataset.chart];
    const status = box.querySelector(".chart-status");
    if (!spec || !spec.categories.length) {
      if (status) status.textContent = box.dataset.empty;
      box.dataset.state = "empty";
      return;
    }
    if (typeof echarts === "undefined") return; // the library did not load: the box keeps its loading words
    if (spec.kind === "bars") box.style.height = Math.max(160, 48 + spec.categories.length * spec.series.length * 22) + "px";
    box.replaceChildren();
    const chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(spec.kind === "line" ? line(spec) : bars(spec));
    box.dataset.state = "drawn";
    drawn.push(chart);
  });
  window.addEventListener("resize", () => drawn.forEach((chart) => chart.resize()));
})();
