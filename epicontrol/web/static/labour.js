// Draws the labour board's fill-rate chart from the figure JSON the page carries
// (<script type="application/json" id="labour-chart-data">) with the offline plotly.js: no
// inline script, so a strict Content-Security-Policy allows it.
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("labour-chart");
    var data = document.getElementById("labour-chart-data");
    if (!holder || !data || !window.Plotly || holder.getAttribute("data-drawn")) {
      return;
    }
    var figure = JSON.parse(data.textContent);
    window.Plotly.newPlot(holder, figure.data, figure.layout, figure.config).then(function () {
      holder.setAttribute("data-drawn", "true");
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
