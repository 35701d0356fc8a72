// Draws the overview's charts with plotly.js from the JSON the page carries (no inline script: the
// page's Content-Security-Policy allows only scripts served by the console).
"use strict";
(function () {
  var source = document.getElementById("chart-data");
  if (!source || typeof Plotly === "undefined") {
    return;
  }
  var charts = JSON.parse(source.textContent);
  charts.forEach(function (chart) {
    var target = document.getElementById("chart-" + chart.id);
    if (!target) {
      return;
    }
    Plotly.newPlot(
      target,
      chart.traces,
      {
        title: { text: chart.title, font: { size: 15 } },
        margin: { l: 50, r: 20, t: 40, b: 40 },
        height: 300,
        xaxis: { type: "category" },
        yaxis:
          chart.unit === "percent"
            ? { title: { text: chart.unit }, range: [0, 105] }
            : { title: { text: chart.unit }, rangemode: "tozero" },
        legend: { orientation: "h" },
      },
      { displayModeBar: false, responsive: true }
    ).then(function () {
      target.setAttribute("data-drawn", "true");
    });
  });
})();
