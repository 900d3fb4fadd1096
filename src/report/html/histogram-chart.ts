/** A latency metric's histogram: the fine log bins merged into bars, on a log x axis. */
import { METRIC_LABELS } from './metric-names.js';
import { paletteColor, type PlotSpec } from './plot-spec.js';
import type { MetricDistribution } from './run-chart-data.js';

/** 400 fine bins merged 5 to a bar: 80 bars, each ~6 % wide over a 100× range. */
export const BINS_PER_BAR = 5;

export function histogramPlot(d: MetricDistribution, id = `hist-${d.key}`): PlotSpec | null {
  if (d.counts.length === 0) return null;
  const x: number[] = [];
  const y: number[] = [];
  for (let b = 0; b < d.counts.length; b += BINS_PER_BAR) {
    let sum = 0;
    for (let k = b; k < Math.min(b + BINS_PER_BAR, d.counts.length); k++) sum += d.counts[k];
    x.push(d.edgesMs[b]);
    y.push(sum);
  }
  // The last edge closes the last bar (a step holds its value up to the next x).
  x.push(d.edgesMs[d.edgesMs.length - 1]);
  y.push(y[y.length - 1]);
  const label = METRIC_LABELS[d.key];
  const zeros = d.zeros > 0 ? `; ${d.zeros} values of 0 (events read together) are not on the log axis` : '';
  return {
    id,
    title: `${label} histogram`,
    xLabel: `${label} (ms, log scale)`,
    // ITL has one value per token gap, the others one per request.
    yLabel: d.key === 'itl' ? 'token gaps' : 'requests',
    xLog: true,
    yMin: 0,
    x,
    series: [{ label, style: 'step-area', values: y, color: paletteColor(0) }],
    note: `all ${d.count} values, in ${x.length - 1} log-spaced bins${zeros}`,
  };
}
