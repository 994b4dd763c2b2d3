/* The gate-flows chart (ECharts, served locally): passes in and out per hour. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var element = document.getElementById("gg-chart-hours");
  if (!element) return;
  var data = JSON.parse(document.getElementById("gg-flow-data").textContent);
  var labels = document.getElementById("gg-flow-labels").dataset;
  var long = data.labels.length > 48;
  var chart = echarts.init(element);
  chart.setOption({
    color: ["#1f5fd1", "#d97706"],
    tooltip: { trigger: "axis" },
    legend: { data: [labels["in"], labels.out] },
    grid: { left: 8, right: 16, top: 36, bottom: 48, containLabel: true },
    dataZoom: long ? [{ type: "slider", height: 18, bottom: 6 }] : [],
    xAxis: { type: "category", data: data.labels },
    yAxis: { type: "value", minInterval: 1 },
    // A day or two as bars side by side; a longer period as two lines.
    series: [
      { name: labels["in"], type: long ? "line" : "bar", showSymbol: false, data: data["in"] },
      { name: labels.out, type: long ? "line" : "bar", showSymbol: false, data: data.out }
    ]
  });
  element.dataset.drawn = "1";
  window.addEventListener("resize", function () { chart.resize(); });
})();
