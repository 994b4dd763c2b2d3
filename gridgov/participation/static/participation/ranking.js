/* The property-company ranking chart (ECharts, served locally): scores as bars, red and black
   list lines. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var element = document.getElementById("gg-ranking-chart");
  if (!element) return;
  var data = JSON.parse(document.getElementById("gg-ranking-data").textContent);
  var labels = document.getElementById("gg-ranking-labels").dataset;
  var colours = { red: "#c62828", black: "#263238", "": "#1f5fd1" };
  var chart = echarts.init(element);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: "value", min: 0, max: 100 },
    yAxis: { type: "category", inverse: true, data: data.names, axisLabel: { width: 110, overflow: "truncate" } },
    series: [{
      name: labels.score,
      type: "bar",
      data: data.scores.map(function (score, index) {
        return { value: Number(score), itemStyle: { color: colours[data.listed[index]] } };
      }),
      label: { show: true, position: "right" },
      markLine: {
        symbol: "none",
        data: [
          { xAxis: Number(labels.red), lineStyle: { color: colours.red } },
          { xAxis: Number(labels.black), lineStyle: { color: colours.black } }
        ]
      }
    }]
  });
  element.dataset.drawn = "1";
  window.addEventListener("resize", function () { chart.resize(); });
})();
