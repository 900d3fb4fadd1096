/**
 * Cumulative distributions of a latency metric, one line per run: the share of values at or
 * below x, read from the fine bins' upper edges (so to within one bin, ~1 % over a 100× range).
 */
import { METRIC_LABELS } from './metric-names.js';
import { mergeOnX, paletteColor, type PlotSpec } from './plot-spec.js';
import type { MetricDistribution, MetricKey } from './run-chart-data.js';

export interface CdfLine {
  /** The series' name (a run's name in a compare page). */
  label: string;
  distribution: MetricDistribution;
}

/** (x ms, share %) of one distribution; values of 0 count from the first edge on. */
export function cdfPoints(d: MetricDistribution): { x: number[]; y: number[] } {
  if (d.counts.length === 0 || d.count === 0) return { x: [], y: [] };
  const x = [d.edgesMs[0]];
  const y = [(100 * d.zeros) / d.count];
  let cumulative = d.zeros;
  for (let b = 0; b < d.counts.length; b++) {
    if (d.counts[b] === 0 && b < d.counts.length - 1) continue;
    cumulative += d.counts[b];
    x.push(d.edgesMs[b + 1]);
    y.push(Number(((100 * cumulative) / d.count).toPrecision(6)));
  }
  return { x, y };
}

export function cdfPlot(key: MetricKey, lines: CdfLine[], id = `cdf-${key}`): PlotSpec | null {
  const points = lines.map((l) => cdfPoints(l.distribution));
  if (points.every((p) => p.x.length === 0)) return null;
  const merged = mergeOnX(points);
  const label = METRIC_LABELS[key];
  return {
    id,
    title: `${label} CDF`,
    xLabel: `${label} (ms, log scale)`,
    yLabel: '% of values ≤ x',
    xLog: true,
    yMin: 0,
    x: merged.x,
    series: lines.map((l, i) => ({ label: l.label, style: 'line', values: merged.ys[i], color: paletteColor(i) })),
    note: 'from the same log bins as the histogram: a value is read to within one bin',
  };
}
