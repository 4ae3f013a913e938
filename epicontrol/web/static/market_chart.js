// Draws the market board's median-price chart from the figure JSON the page carries
// (<script type="application/json" id="price-chart-data">): no inline script, so a strict
// Content-Security-Policy allows it.
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("price-chart");
    var data = document.getElementById("price-chart-data");
    if (!holder || !data || !window.Plotly) {
      return;
    }
    var figure = JSON.parse(data.textContent);
    window.Plotly.newPlot(holder, figure.data, figure.layout, {
      displaylogo: false,
      responsive: true,
    }).then(function () {
      holder.setAttribute("data-drawn", "true");
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
