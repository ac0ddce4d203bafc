/* Draws each panel's chart from the JSON its partial carries; again after htmx swaps the panels in.
   window.dashboardCharts keeps the Chart.js objects by canvas id (the browser tests read them). */
(function () {
  "use strict";
  const PALETTE = ["#1d4f91", "#b3261e", "#2f6f4f", "#c77c02", "#6b3fa0", "#0f7c8c", "#8c564b", "#d4508f",
                   "#5b6775", "#7f9b1d", "#e07b39", "#3b8bd0", "#a31f5a", "#4d7a2b", "#9a6b00", "#2b5c7a"];
  const charts = {};
  window.dashboardCharts = charts;

  function number(value) { return value === null ? null : Number(value); }

  function config(spec) {
    const percent = Boolean(spec.percent);
    const datasets = spec.datasets.map(function (d, i) {
      const colour = PALETTE[i % PALETTE.length];
      return {
        label: d.label,
        data: d.data.map(number),
        type: d.type || spec.type,
        yAxisID: d.yAxisID || "y",
        borderColor: colour,
        backgroundColor: spec.type === "bar" && !d.type ? colour + "cc" : colour,
        borderDash: d.dashed ? [6, 4] : [],
        borderWidth: 2,
        pointRadius: spec.type === "line" || d.type === "line" ? 2 : 0,
        spanGaps: true,
        tension: 0.15
      };
    });
    (spec.thresholds || []).forEach(function (level) {
      datasets.push({ label: level, data: spec.labels.map(function () { return Number(level); }), type: "line",
                      borderColor: "#999", borderDash: [3, 3], borderWidth: 1, pointRadius: 0, yAxisID: "y" });
    });
    const scales = {
      x: { stacked: Boolean(spec.stacked) },
      y: { stacked: Boolean(spec.stacked), beginAtZero: true,
           ticks: { callback: function (v) { return percent ? v + "%" : v.toLocaleString(); } } }
    };
    if (spec.dual_axis) {
      scales.y1 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } };
    }
    return {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, font: { size: 11 } } },
          tooltip: { callbacks: { label: function (item) {
            const v = item.raw === null ? "–" : (percent && item.dataset.yAxisID === "y" ? item.raw + "%" : item.raw.toLocaleString());
            return item.dataset.label + ": " + v;
          } } }
        },
        scales: scales
      }
    };
  }

  function draw(root) {
    root.querySelectorAll("canvas[data-chart-source]").forEach(function (canvas) {
      const source = document.getElementById(canvas.dataset.chartSource);
      if (!source) { return; }
      if (charts[canvas.id]) { charts[canvas.id].destroy(); }
      charts[canvas.id] = new Chart(canvas, config(JSON.parse(source.textContent)));
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.detail.target); });
})();
