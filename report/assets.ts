/**
 * The report's inline style sheet and scripts. The page loads nothing from
 * elsewhere, so it opens from a mail attachment or an offline machine; the
 * scripts only zoom and pan the timeline and write any script error into
 * the page (where a headless browser's DOM dump shows it).
 *
 * @module
 */

/** The style sheet: the colours of each kind of CPU time, the lanes, tables and plots. */
export const STYLE = `
:root { font-family: system-ui, sans-serif; color: #222; }
body { margin: 0 auto; max-width: 1400px; padding: 0 16px 40px; }
h1 { font-size: 1.5em; margin: 16px 0 4px; }
h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; margin-top: 28px; }
h3 { font-size: 1em; margin: 16px 0 4px; }
.sub { color: #555; margin: 0 0 12px; }
nav a { margin-right: 12px; }
pre { background: #f6f6f6; border: 1px solid #e2e2e2; padding: 8px; overflow-x: auto; font-size: 12px; }
pre.scenario, pre.trace { max-height: 480px; overflow: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border: 1px solid #ddd; padding: 2px 8px; text-align: right; }
th { background: #f0f0f0; }
td.l, th.l { text-align: left; }
#script-errors { background: #fdd; border: 2px solid #c00; padding: 8px; white-space: pre-wrap; }
.tools { display: flex; gap: 6px; align-items: center; margin: 6px 0; font-size: 13px; }
.tools button { font: inherit; padding: 1px 10px; }
.tl { width: 100%; height: auto; display: block; user-select: none; cursor: grab; }
.tl-lane { fill: #fafafa; stroke: #ddd; stroke-width: 0.5; }
.tl-cpu { font-size: 12px; fill: #333; }
.tl-axis text { font-size: 10px; fill: #444; text-anchor: middle; }
.tl-grid line { stroke: #000; stroke-opacity: 0.12; stroke-width: 0.5; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; margin: 4px 0; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: middle; margin-right: 4px; }
.k-hardirq { fill: #d62728; background: #d62728; }
.k-nmi { fill: #6b0000; background: #6b0000; }
.k-callback { fill: #ff9f1c; background: #ff9f1c; }
.k-irqthread { fill: #9467bd; background: #9467bd; }
.k-irqworkthread { fill: #e377c2; background: #e377c2; }
.k-measure { fill: #2ca02c; background: #2ca02c; }
.k-task { fill: #1f77b4; background: #1f77b4; }
.k-idle { fill: #e4e4e4; background: #e4e4e4; }
.k-finding { fill: #000; background: #000; }
.hists { display: flex; flex-wrap: wrap; gap: 8px; }
.hist { margin: 0; width: 560px; }
.hist svg { width: 100%; height: auto; }
.hist figcaption { font-size: 12px; text-align: center; }
.hist-bg { fill: #fcfcfc; stroke: #ccc; }
.hist-grid { stroke: #000; stroke-opacity: 0.1; }
.hist-tick, .hist-unit { font-size: 10px; fill: #444; }
.s-ct { fill: #2ca02c; background: #2ca02c; }
.s-irq { fill: #d62728; background: #d62728; opacity: 0.85; }
.s-thread { fill: #1f77b4; background: #1f77b4; opacity: 0.85; }
.hist-over { stroke: #000; stroke-width: 0.5; }
.finding { border-left: 4px solid #c00; padding-left: 10px; margin: 12px 0; }
.finding.WARN { border-color: #e90; }
`;

/**
 * Runs first: a script error anywhere on the page is written into
 * `#script-errors`, so that it is seen, and a headless browser's DOM shows it.
 */
export const ERROR_SCRIPT = `
window.onerror = function (message, source, line) {
  var box = document.getElementById("script-errors");
  box.hidden = false;
  box.textContent += "script error: " + message + " (line " + line + ")\\n";
};
`;

/**
 * Zoom and pan for every timeline: the mouse wheel zooms at the pointer,
 * dragging pans, the buttons zoom about the middle, pan by a quarter and
 * reset; `#t=FROM-TO` in the address (µs) opens zoomed on that stretch.
 * The time axis and its grid are drawn for what is shown. When done, the
 * body gets `data-ready="1"`.
 */
export const ZOOM_SCRIPT = `
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  function niceStep(span) {
    var raw = span / 10, pow = Math.pow(10, Math.floor(Math.log10(raw))), m = [1, 2, 5, 10];
    for (var i = 0; i < m.length; i++) if (m[i] * pow >= raw) return m[i] * pow;
    return 10 * pow;
  }
  function el(name, attrs, text) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function setup(svg) {
    var num = function (name) { return Number(svg.getAttribute("data-" + name)); };
    var from = num("from"), to = num("to"), label = num("label"), plot = num("plot"), axisH = num("axis");
    var height = svg.viewBox.baseVal.height, span = to - from;
    var zoom = svg.querySelector(".tl-zoom"), axis = svg.querySelector(".tl-axis");
    var grid = svg.querySelector(".tl-grid"), panel = svg.closest(".timeline");
    var range = panel.querySelector(".tl-range");
    var maxK = Math.max(1, span / 100);
    var view = { k: 1, off: 0 };
    function clamp() {
      view.k = Math.min(Math.max(view.k, 1), maxK);
      view.off = Math.min(Math.max(view.off, 0), plot - plot / view.k);
    }
    function draw() {
      clamp();
      zoom.setAttribute("transform", "translate(" + (-view.off * view.k) + " 0) scale(" + view.k + " 1)");
      var t0 = from + (view.off / plot) * span, t1 = t0 + span / view.k;
      var step = niceStep((t1 - t0) / 1000);
      var digits = Math.max(0, -Math.floor(Math.log10(step)));
      while (axis.firstChild) axis.removeChild(axis.firstChild);
      while (grid.firstChild) grid.removeChild(grid.firstChild);
      var first = Math.ceil(t0 / 1000 / step);
      for (var i = first; i * step <= t1 / 1000 + 1e-9; i++) {
        var t = i * step * 1000, x = ((t - t0) / (t1 - t0)) * plot;
        // A label cut by the plot's edge is left out; its grid line stays.
        if (x > 20 && x < plot - 20) {
          axis.appendChild(el("text", { x: x.toFixed(2), y: axisH - 10 }, (i * step).toFixed(digits)));
        }
        grid.appendChild(el("line", { x1: x.toFixed(2), x2: x.toFixed(2), y1: axisH - 6, y2: height }));
      }
      var us = function (ns) { return (ns / 1000).toFixed(digits + 1); };
      range.textContent = us(t0) + " to " + us(t1) + " µs (" + us(t1 - t0) + " µs shown, zoom " +
        view.k.toFixed(1) + "x)";
      panel.setAttribute("data-view", Math.round(t0) + "-" + Math.round(t1));
    }
    function zoomAt(factor, px) {
      var at = view.off + px / view.k;
      view.k = Math.min(Math.max(view.k * factor, 1), maxK);
      view.off = at - px / view.k;
      draw();
    }
    function plotX(event) {
      var p = svg.createSVGPoint();
      p.x = event.clientX;
      p.y = event.clientY;
      var q = p.matrixTransform(svg.getScreenCTM().inverse());
      return Math.min(Math.max(q.x - label, 0), plot);
    }
    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      zoomAt(event.deltaY < 0 ? 1.25 : 0.8, plotX(event));
    }, { passive: false });
    var drag = null;
    svg.addEventListener("mousedown", function (event) { drag = { x: plotX(event), off: view.off }; });
    window.addEventListener("mouseup", function () { drag = null; });
    svg.addEventListener("mousemove", function (event) {
      if (drag === null) return;
      view.off = drag.off - (plotX(event) - drag.x) / view.k;
      draw();
    });
    var actions = {
      "in": function () { zoomAt(2, plot / 2); },
      "out": function () { zoomAt(0.5, plot / 2); },
      "left": function () { view.off -= plot / view.k / 4; draw(); },
      "right": function () { view.off += plot / view.k / 4; draw(); },
      "reset": function () { view.k = 1; view.off = 0; draw(); }
    };
    panel.querySelectorAll("button[data-act]").forEach(function (b) {
      b.addEventListener("click", actions[b.getAttribute("data-act")]);
    });
    var wanted = /^#t=([0-9.]+)-([0-9.]+)$/.exec(location.hash);
    if (wanted !== null && Number(wanted[2]) > Number(wanted[1])) {
      var a = Number(wanted[1]) * 1000, b = Number(wanted[2]) * 1000;
      view.k = span / (b - a);
      view.off = ((a - from) / span) * plot;
    }
    draw();
  }
  document.querySelectorAll("svg.tl").forEach(setup);
  document.body.setAttribute("data-ready", "1");
})();
`;
