/* Owners' votes: the board's chart (ECharts, served locally) redrawn after each htmx refresh,
   the receipt's copy button, and the new-vote form's plans field shown only for plan votes. */
(function () {
  "use strict";

  var chart = null;

  // ECharts 4 cannot truncate axis labels itself: long plan names would squeeze the bars on a
  // phone, so they are cut to what the width allows (the table below gives them in full).
  function shortLabel(element) {
    var most = element.clientWidth < 520 ? 6 : 16;
    return function (value) {
      return value.length > most ? value.slice(0, most) + "…" : value;
    };
  }

  function drawBoard() {
    var element = document.getElementById("gg-vote-chart");
    var source = document.getElementById("gg-vote-chart-data");
    if (chart) { chart.dispose(); chart = null; }
    if (!element || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    if (!data) return;
    var names = data.names;
    var options = data.options;
    chart = echarts.init(element);
    chart.setOption({
      animation: false,
      color: ["#1f5fd1", "#d97706"],
      tooltip: { trigger: "axis", valueFormatter: function (value) { return value + "%"; } },
      legend: { top: 0, data: [names.area, names.heads] },
      grid: { left: 8, right: 28, top: 34, bottom: 4, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", inverse: true, data: options.labels, axisLabel: { formatter: shortLabel(element) } },
      series: [
        {
          name: names.area, type: "bar", data: options.area, barMaxWidth: 14,
          markLine: {
            symbol: "none", silent: true,
            lineStyle: { color: "#c92a2a", type: "dashed" },
            label: { position: "insideEndTop", formatter: options.threshold_label, color: "#c92a2a" },
            data: [{ xAxis: options.threshold }]
          }
        },
        { name: names.heads, type: "bar", data: options.heads, barMaxWidth: 14 }
      ]
    });
    element.dataset.drawn = "1";
  }

  function copyReceipt(button) {
    var text = button.dataset.copy;
    var done = function () {
      var label = button.querySelector("span");
      if (label) label.textContent = button.dataset.copied;
      button.classList.replace("btn-outline-primary", "btn-success");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
      return;
    }
    var field = document.createElement("textarea");
    field.value = text;
    field.setAttribute("readonly", "");
    field.style.position = "absolute";
    field.style.left = "-9999px";
    document.body.appendChild(field);
    field.select();
    try { document.execCommand("copy"); done(); } catch (error) { /* the code stays selectable */ }
    document.body.removeChild(field);
  }

  function togglePlans() {
    var checked = document.querySelector("#gg-vote-form input[name=options_kind]:checked");
    var plans = document.querySelector("#gg-vote-form [data-plans]");
    if (!plans) return;
    plans.hidden = !checked || checked.value !== "plans";
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawBoard();
    togglePlans();
  });
  // The board is swapped whole (outerHTML): a chart element not yet drawn is a new board.
  document.body.addEventListener("htmx:afterSettle", function () {
    var element = document.getElementById("gg-vote-chart");
    if (element && element.dataset.drawn !== "1") drawBoard();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) copyReceipt(button);
  });
  document.addEventListener("change", function (event) {
    if (event.target.name === "options_kind") togglePlans();
  });
  window.addEventListener("resize", function () { if (chart) chart.resize(); });
})();
