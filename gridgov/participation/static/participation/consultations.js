/* A consultation's results (ECharts, served locally): the share in favour per estate, the
   pass rule as a line; estates that passed in green, the others in red. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var element = document.getElementById("gg-consultation-chart");
  var source = document.getElementById("gg-consultation-data");
  if (!element || !source) return;
  var data = JSON.parse(source.textContent);
  var labels = document.getElementById("gg-consultation-labels").dataset;
  var chart = echarts.init(element);
  chart.setOption({
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
    grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.estates, axisLabel: { interval: 0, rotate: data.estates.length > 6 ? 40 : 0 } },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [{
      name: labels.share,
      type: "bar",
      data: data.percent.map(function (value, index) {
        return { value: value, itemStyle: { color: data.passed[index] ? "#2f9e44" : "#c92a2a" } };
      }),
      markLine: { symbol: "none", data: [{ yAxis: data.rule, name: labels.rule }], lineStyle: { type: "dashed" } }
    }]
  });
  element.dataset.drawn = "1";
  window.addEventListener("resize", function () { chart.resize(); });
})();
