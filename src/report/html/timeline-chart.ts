/** The run over time: throughput, requests in flight and errors per time bin. */
import { mergeOnX, paletteColor, type PlotSpec } from './plot-spec.js';
import type { Timeline } from './run-chart-data.js';

export function throughputPlot(tl: Timeline, id = 'throughput'): PlotSpec {
  return {
    id,
    title: 'Throughput over time',
    xLabel: 's since start',
    yLabel: 'completed requests/s',
    yMin: 0,
    x: tl.t,
    series: [{ label: 'completed req/s', style: 'line', values: tl.completedPerS, color: paletteColor(0) }],
    note: `${tl.binS} s bins, by when each request ended`,
  };
}

export function tokensPlot(tl: Timeline, id = 'tokens'): PlotSpec {
  return {
    id,
    title: 'Output tokens over time',
    xLabel: 's since start',
    yLabel: 'output tokens/s',
    yMin: 0,
    x: tl.t,
    series: [{ label: 'output tokens/s', style: 'line', values: tl.tokensPerS, color: paletteColor(3) }],
    note: `${tl.binS} s bins: output tokens of the requests that completed in each bin`,
  };
}

export function inFlightPlot(tl: Timeline, id = 'in-flight'): PlotSpec {
  return {
    id,
    title: 'Requests in flight',
    xLabel: 's since start',
    yLabel: 'requests',
    yMin: 0,
    x: tl.t,
    series: [{ label: 'in flight (bin average)', style: 'line', values: tl.inFlight, color: paletteColor(2) }],
    note: `issued and not yet finished, averaged over each ${tl.binS} s bin`,
  };
}

export function errorsPlot(tl: Timeline, id = 'errors'): PlotSpec {
  return {
    id,
    title: 'Errors over time',
    xLabel: 's since start',
    yLabel: 'failed requests/s',
    yMin: 0,
    x: tl.t,
    series: [{ label: 'failed req/s', style: 'step-area', values: tl.errorsPerS, color: paletteColor(1) }],
    note: `${tl.binS} s bins, by when each failed request ended (the error table has the codes)`,
  };
}

/** Completed requests/s of several runs on one time axis (a compare page). */
export function throughputOverlay(runs: { label: string; timeline: Timeline }[], id = 'throughput-overlay'): PlotSpec {
  const merged = mergeOnX(runs.map((r) => ({ x: r.timeline.t, y: r.timeline.completedPerS })));
  return {
    id,
    title: 'Throughput over time',
    xLabel: 's since start',
    yLabel: 'completed requests/s',
    yMin: 0,
    x: merged.x,
    series: runs.map((r, i) => ({ label: r.label, style: 'line', values: merged.ys[i], color: paletteColor(i) })),
  };
}
