/**
 * A chart as plain data: what the page's runtime (chart-runtime.ts) hands to uPlot. Every chart
 * kind (histogram, CDF, timeline, scatter, sweep curve) builds one of these in Node; the page
 * only draws them, so the chart kinds are tested without a browser.
 */

/** line: a polyline; step-area: a filled step (histograms); points: marks only (scatter, sweep steps). */
export type SeriesStyle = 'line' | 'step-area' | 'points' | 'line-points';

export interface SeriesSpec {
  label: string;
  style: SeriesStyle;
  /** One value per x; null where the series has none (overlays on a merged x). */
  values: (number | null)[];
  /** CSS colour (#rrggbb): the browser test looks for pixels of this colour. */
  color: string;
}

export interface PlotSpec {
  /** Unique in the page; the figure's element id is `plot-<id>`. */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  /** y axis starts here (0 for counts and rates); default: the data's range. */
  yMin?: number;
  /** x ascending (uPlot's mode 1), except for a sweep's curve (then unsortedX: no hover cursor). */
  x: number[];
  unsortedX?: boolean;
  series: SeriesSpec[];
  /** A line under the chart: what was sampled or binned. */
  note?: string;
}

/** Tableau 10: distinct from each other and from the grey axes and grid the test ignores. */
export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
] as const;

export function paletteColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** Values drawn: the non-null values of every series (what `window.__charts` reports per chart). */
export function plottedPoints(spec: PlotSpec): number {
  let n = 0;
  for (const s of spec.series) for (const v of s.values) if (v !== null && Number.isFinite(v)) n++;
  return n;
}

/**
 * Several (x, y) series on one x axis, as uPlot wants: the union of the x values, ascending, and
 * null where a series has no value (overlays of runs whose bins differ).
 */
export function mergeOnX(series: { x: readonly number[]; y: readonly number[] }[]): {
  x: number[];
  ys: (number | null)[][];
} {
  const all = new Set<number>();
  for (const s of series) for (const v of s.x) all.add(v);
  const x = [...all].sort((a, b) => a - b);
  const index = new Map(x.map((v, i) => [v, i]));
  const ys = series.map((s) => {
    const y = new Array<number | null>(x.length).fill(null);
    for (let i = 0; i < s.x.length; i++) y[index.get(s.x[i])!] = s.y[i];
    return y;
  });
  return { x, ys };
}
