/**
 * MLPerf Endpoints' display histogram: 30 buckets, log-spaced over the observed [min, max]
 * (metrics_aggregator/registry.py `_log_spaced_edges` and `SeriesSampler._exact_stat`).
 *
 * The low edge is max(min, 1) and the high edge max(max, 10 × low), so a series of equal values
 * or of values below 1 still gets 30 well-defined buckets. Values are clipped into [first edge,
 * last edge] and binned as numpy.histogram bins them: [e_i, e_i+1), the last bucket closed, so
 * the counts always add up to the sample count.
 */

export const HISTOGRAM_BUCKETS = 30;

export interface Histogram {
  /** [low, high] of each bucket, in the series' unit (ns, tokens). */
  buckets: [number, number][];
  counts: number[];
}

export function emptyHistogram(): Histogram {
  return { buckets: [], counts: [] };
}

/** `n + 1` edges, exp(log(low) + i × step), as theirs computes them. */
export function logSpacedEdges(low: number, high: number, n: number = HISTOGRAM_BUCKETS): number[] {
  const safeLow = Math.max(low, 1);
  const safeHigh = Math.max(high, safeLow * 10);
  const logLo = Math.log(safeLow);
  const step = (Math.log(safeHigh) - logLo) / n;
  const edges = new Array<number>(n + 1);
  for (let i = 0; i <= n; i++) edges[i] = Math.exp(logLo + i * step);
  return edges;
}

/** The histogram of an ascending-sorted, non-empty array: one pass, the bucket index only moves up. */
export function histogramOfSorted(sorted: Float64Array, n: number = HISTOGRAM_BUCKETS): Histogram {
  if (sorted.length === 0) return emptyHistogram();
  const edges = logSpacedEdges(sorted[0], sorted[sorted.length - 1], n);
  const counts = new Array<number>(n).fill(0);
  const first = edges[0];
  const last = edges[n];
  let bucket = 0;
  for (let i = 0; i < sorted.length; i++) {
    const v = Math.min(Math.max(sorted[i], first), last);
    while (bucket < n - 1 && v >= edges[bucket + 1]) bucket++;
    counts[bucket]++;
  }
  const buckets = new Array<[number, number]>(n);
  for (let i = 0; i < n; i++) buckets[i] = [edges[i], edges[i + 1]];
  return { buckets, counts };
}
