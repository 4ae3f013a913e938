// Page behaviours that used to be inline <script> blocks and onclick= attributes, moved here so
// that the Content-Security-Policy can say `script-src 'self'` (web/security_headers.py).
// Pages ask for them with data-* attributes; nothing here runs on a page that has none.
(function () {
  "use strict";

  // Plotly figures (web/figures.py): <script type="application/json" data-plotly-figure="ID">
  // holds {data, layout, config} for the <div id="ID"> before it. Drawn once; a chart whose
  // wrapper has data-click-url navigates there on a click, with "{id}" replaced by the point's
  // customdata (a division on the dashboard map, a case in the workbench's chain).
  function drawFigures(root) {
    if (!window.Plotly) return;
    root.querySelectorAll("script[data-plotly-figure]").forEach(function (element) {
      var target = document.getElementById(element.getAttribute("data-plotly-figure"));
      if (!target || target.getAttribute("data-drawn")) return;
      target.setAttribute("data-drawn", "1");
      var figure = JSON.parse(element.textContent);
      window.Plotly.newPlot(target, figure.data, figure.layout, figure.config).then(function () {
        var holder = target.closest("[data-click-url]");
        if (!holder) return;
        var url = holder.getAttribute("data-click-url");
        target.on("plotly_click", function (event) {
          var id = event.points.length ? event.points[0].customdata : null;
          if (id) window.location.href = url.replace("{id}", encodeURIComponent(id));
        });
      });
    });
  }

  // The browser's position into a form, only if the visitor allows it; nothing leaves the phone
  // until they submit. <button data-locate data-lat="#id" data-lon="#id" data-status="#id"
  // data-clear="#id"? data-submit="#form"? data-msg-unavailable= data-msg-locating=
  // data-msg-found= data-msg-denied=>.
  function locate(button) {
    var pick = function (name) {
      var selector = button.getAttribute("data-" + name);
      return selector ? document.querySelector(selector) : null;
    };
    var status = pick("status");
    var say = function (name) {
      var text = button.getAttribute("data-msg-" + name);
      if (status && text) status.textContent = text;
    };
    if (!navigator.geolocation) { say("unavailable"); return; }
    say("locating");
    navigator.geolocation.getCurrentPosition(function (position) {
      pick("lat").value = position.coords.latitude.toFixed(5);
      pick("lon").value = position.coords.longitude.toFixed(5);
      var clear = pick("clear");
      if (clear) clear.value = "";
      say("found");
      var form = pick("submit");
      if (form) form.submit();
    }, function () { say("denied"); });
  }

  // A refused htmx request (bad input, out of scope) comes back as an error page: inside an
  // element with data-alert-errors, say why.
  function alertError(event) {
    if (!event.target.closest || !event.target.closest("[data-alert-errors]")) return;
    var text = event.detail.xhr.responseText.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
    window.alert(text.slice(0, 300));
  }

  // tasks_mine.html: the counters above the list are outside the swapped task, so an answered
  // task brings them down here (<span data-count-of="open|overdue">).
  function countDown(event) {
    var list = event.target.closest && event.target.closest("[data-task-counters]");
    if (!list || !event.detail.shouldSwap) return;
    var wasOverdue = event.detail.target.classList.contains("overdue");
    document.querySelectorAll("[data-count-of]").forEach(function (figure) {
      var kind = figure.getAttribute("data-count-of");
      if (kind === "open" || (kind === "overdue" && wasOverdue)) {
        figure.textContent = Math.max(0, Number(figure.textContent) - 1);
      }
    });
  }

  // The survey builder's "add a question" asks for block n = blocks so far + 1
  // (<button hx-get=... data-next-n="selector of the blocks">); an htmx `js:` value would need
  // eval, which the CSP refuses.
  document.addEventListener("htmx:configRequest", function (event) {
    var selector = event.detail.elt.getAttribute && event.detail.elt.getAttribute("data-next-n");
    if (selector) event.detail.parameters.n = document.querySelectorAll(selector).length + 1;
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print], [data-locate]") : null;
    if (!target) return;
    if (target.hasAttribute("data-print")) window.print();
    else locate(target);
  });
  document.addEventListener("htmx:responseError", alertError);
  document.addEventListener("htmx:beforeSwap", countDown);
  document.addEventListener("htmx:load", function (event) { drawFigures(event.detail.elt); });
  // After the deferred scripts (plotly.js may be one of them, after this one): on
  // DOMContentLoaded; again on load (a no-op for drawn figures), where charts drawn before the
  // page's last styles settled also take their container's final width.
  document.addEventListener("DOMContentLoaded", function () { drawFigures(document); });
  window.addEventListener("load", function () {
    drawFigures(document);
    if (!window.Plotly) return;
    document.querySelectorAll(".js-plotly-plot").forEach(function (chart) {
      window.Plotly.Plots.resize(chart);
    });
  });
  if (document.readyState === "complete") drawFigures(document);
})();
