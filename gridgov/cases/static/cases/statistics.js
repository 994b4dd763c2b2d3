/* The statistics page's charts (ECharts, served locally). */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var data = JSON.parse(document.getElementById("gg-chart-data").textContent);
  var labels = document.getElementById("gg-chart-labels").dataset;
  var charts = [];
  var PALETTE = ["#1f5fd1", "#13804f", "#d97706", "#c2255c", "#6d3fd8", "#0b8fb3", "#6b7a90"];

  function chart(id, option) {
    var element = document.getElementById(id);
    if (!element) return;
    var instance = echarts.init(element);
    option.color = PALETTE;
    instance.setOption(option);
    charts.push(instance);
    element.dataset.drawn = "1";
  }
  function pct(value) { return value === null || value === undefined ? null : Math.round(value * 1000) / 10; }
  function names(rows) { return rows.map(function (row) { return row.label; }); }

  var grid = { left: 48, right: 48, top: 36, bottom: 56, containLabel: true };
  chart("gg-chart-month", {
    tooltip: { trigger: "axis" },
    legend: { data: [labels.accepted, labels.resolved, labels.closure] },
    grid: grid,
    xAxis: { type: "category", data: names(data.month) },
    yAxis: [{ type: "value" }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
    series: [
      { name: labels.accepted, type: "bar", data: data.month.map(function (r) { return r.accepted; }) },
      { name: labels.resolved, type: "bar", data: data.month.map(function (r) { return r.resolved; }) },
      { name: labels.closure, type: "line", yAxisIndex: 1, smooth: true, data: data.month.map(function (r) { return pct(r.closure_rate); }) }
    ]
  });
  chart("gg-chart-channel", {
    tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
    // Channel names are long (热线（12345/365）): a legend below instead of labels beside the ring,
    // which a narrow card would cut off.
    legend: { bottom: 0, type: "scroll" },
    series: [{ type: "pie", radius: ["35%", "62%"], center: ["50%", "44%"], label: { show: false }, data: data.channel.map(function (r) { return { name: r.label, value: r.accepted }; }) }]
  });
  function bars(id, rows) {
    rows = rows.slice(0, 15);
    chart(id, {
      tooltip: { trigger: "axis" },
      legend: { data: [labels.accepted, labels.onTime] },
      grid: { left: 8, right: 48, top: 36, bottom: 8, containLabel: true },
      yAxis: { type: "category", inverse: true, data: names(rows), axisLabel: { width: 110, overflow: "truncate" } },
      xAxis: [{ type: "value" }, { type: "value", min: 0, max: 100, show: false }],
      series: [
        { name: labels.accepted, type: "bar", data: rows.map(function (r) { return r.accepted; }) },
        { name: labels.onTime, type: "line", xAxisIndex: 1, data: rows.map(function (r) { return pct(r.on_time_resolution_rate); }) }
      ]
    });
  }
  bars("gg-chart-category", data.category);
  bars("gg-chart-cell", data.cell);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
