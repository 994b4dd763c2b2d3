/* The programme funnel (ECharts, served locally): how many projects reached each stage. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var element = document.getElementById("gg-funnel-chart");
  var source = document.getElementById("gg-funnel-data");
  if (!element || !source) return;
  var data = JSON.parse(source.textContent);
  var label = document.getElementById("gg-funnel-labels").dataset.projects;
  var chart = echarts.init(element);
  chart.setOption({
    tooltip: { trigger: "item", formatter: "{b}: {c}" },
    color: ["#1f5fd1", "#3b7be0", "#5b93e6", "#7dabec", "#a0c3f2", "#c3dbf8"],
    series: [{
      name: label,
      type: "funnel",
      sort: "none",
      left: "5%",
      width: "90%",
      minSize: "8%",
      label: { show: true, position: "inside", formatter: "{b} {c}" },
      data: data.stages.map(function (name, index) { return { name: name, value: data.projects[index] }; })
    }]
  });
  element.dataset.drawn = "1";
  window.addEventListener("resize", function () { chart.resize(); });
})();
