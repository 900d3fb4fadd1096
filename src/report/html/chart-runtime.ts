/**
 * The page's own script: reads the plot specs (plot-spec.ts) from the page's JSON block and draws
 * each with uPlot into its figure. Plain ES2017 in a string (not a compiled function: tsx/esbuild
 * would add helpers to a function's source). It sets `window.__charts[id]` to what each chart drew
 * (series, values, colours, draw count) for the browser test, and `window.__chartsReady` at the end.
 */
export const CHART_RUNTIME_JS = String.raw`(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('report-plots').textContent);
  var charts = {};
  window.__charts = charts;

  function fmt(v) {
    if (v == null || !isFinite(v)) return '–';
    var a = Math.abs(v);
    if (a === 0) return '0';
    if (a >= 1000) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    return v.toPrecision(3);
  }

  // Log axes leave the minor ticks unlabelled (null).
  function tickLabels(u, vals) {
    return vals.map(function (v) { return v == null ? '' : String(+v.toPrecision(4)); });
  }

  // Log axes: ticks at 1, 2 and 5 × 10^k inside the data's range (uPlot's own start at the minimum: 15.41, 154.1).
  function logSplits(u, axisIdx, min, max) {
    var out = [];
    for (var e = Math.floor(Math.log10(min)); Math.pow(10, e) <= max; e++) {
      [1, 2, 5].forEach(function (m) {
        var v = +(m * Math.pow(10, e)).toPrecision(6);
        if (v >= min && v <= max) out.push(v);
      });
    }
    return out.length >= 2 ? out : [min].concat(out, [max]);
  }

  function finiteRange(values) {
    var lo = Infinity, hi = -Infinity;
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (v != null && isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    }
    return [lo, hi];
  }

  function seriesOptions(s) {
    var o = { label: s.label, stroke: s.color, width: 2, spanGaps: true, value: function (u, v) { return fmt(v); } };
    if (s.style === 'step-area') {
      o.paths = uPlot.paths.stepped({ align: 1 });
      o.fill = s.color + '55';
      o.points = { show: false };
    } else if (s.style === 'points') {
      o.paths = function () { return null; };
      o.points = { show: true, size: 3, width: 0, fill: s.color, stroke: s.color };
    } else if (s.style === 'line-points') {
      o.points = { show: true, size: 8, width: 1, fill: s.color, stroke: s.color };
    } else {
      o.points = { show: false };
    }
    return o;
  }

  function draw(spec) {
    var figure = document.getElementById('plot-' + spec.id);
    var holder = figure.querySelector('.plot');
    var width = Math.max(320, Math.floor(holder.getBoundingClientRect().width) || 560);
    var series = [{ label: spec.xLabel, value: function (u, v) { return fmt(v); } }];
    var points = 0;
    spec.series.forEach(function (s) {
      series.push(seriesOptions(s));
      for (var i = 0; i < s.values.length; i++) if (s.values[i] != null && isFinite(s.values[i])) points++;
    });
    var yMin = spec.yMin;
    var axis = { stroke: '#333', grid: { stroke: '#e4e4e4', width: 1 }, ticks: { stroke: '#ccc', width: 1 } };
    var opts = {
      width: width,
      height: 240,
      series: series,
      scales: {
        x: { time: false, distr: spec.xLog ? 3 : 1 },
        y: {
          distr: spec.yLog ? 3 : 1,
          range: function (u, min, max) {
            if (yMin == null || spec.yLog) return uPlot.rangeNum(min, max, 0.1, true);
            var hi = max > yMin ? max * 1.08 : yMin + 1;
            return [yMin, hi];
          },
        },
      },
      axes: [
        Object.assign(
          spec.xLog
            ? // uPlot's log axes label only powers of 10 (its filter): keep every 1-2-5 tick's label.
              { label: spec.xLabel, values: tickLabels, splits: logSplits, filter: function (u, splits) { return splits; } }
            : { label: spec.xLabel, values: tickLabels },
          axis
        ),
        Object.assign({ label: spec.yLabel, size: 60, values: tickLabels }, axis),
      ],
      // A legend names the lines of overlays; one series needs none (the title says what it is).
      legend: { show: spec.series.length > 1 },
      cursor: spec.unsortedX ? { show: false } : { drag: { x: true, y: false } },
      hooks: { draw: [function () { charts[spec.id].draws++; }] },
    };
    if (spec.xLog) {
      // uPlot's log range snaps out to powers of 10 (30–350 ms drew from 10 to 1000): keep the data's.
      opts.scales.x.range = function (u, min, max) { return min < max ? [min, max] : [min / 2, max * 2]; };
    }
    if (spec.unsortedX) {
      // uPlot takes a sorted x's range from its ends: a sweep's curve gives it explicitly.
      var r = finiteRange(spec.x);
      var pad = r[1] > r[0] ? (r[1] - r[0]) * 0.06 : Math.max(1, r[0] * 0.1);
      opts.scales.x.range = function () { return [Math.max(0, r[0] - pad), r[1] + pad]; };
    }
    charts[spec.id] = {
      series: spec.series.length,
      points: points,
      colors: spec.series.map(function (s) { return s.color; }),
      draws: 0,
    };
    var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    new uPlot(opts, data, holder);
  }

  specs.forEach(draw);
  window.__chartsReady = true;
})();
`;
