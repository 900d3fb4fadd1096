/**
 * ITL (one value per token gap) accumulated from chunk-time lists as they stream out of the
 * results database, one DuckDB data chunk at a time: the list child copied out whole and the gaps
 * taken in a JS loop (~15 ns per gap, where DuckDB's unnest(list_transform(...)) took ~50). Up to
 * ITL_EXACT_MAX gaps the values are kept and summarized exactly as the in-memory summary does
 * (identical numbers); beyond it they are counted into log-linear buckets (2⁹ per power of two)
 * as they stream past, and every percentile is its bucket's middle: within ITL_RELATIVE_ERROR of
 * the value the exact method reports (or 1 ns for gaps under 1 ns — tokens read together share
 * their arrival, a gap of 0). min, max, avg, total and the standard deviation are over every gap
 * in both cases. The same pass gives report.html its ITL histogram.
 *
 * No DuckDB here: the end of a run feeds these from a worker thread (end-of-run-thread.ts) while
 * the main thread reads the other columns back and builds the rest of the summary.
 */
import { HISTOGRAM_BUCKETS, logSpacedEdges } from '../metrics/log-histogram.js';
import { PERCENTILE_KEYS, type Percentiles } from '../metrics/percentiles.js';
import { summarizeSeriesInPlace, type SeriesSummary } from '../metrics/series-summary.js';
import { distributionOfBuckets, distributionOfValues, type MetricDistribution } from '../report/html/run-chart-data.js';

/** Gaps summarized exactly: 10M doubles are 80 MB to sort (~150k streamed answers of 65 tokens). */
export const ITL_EXACT_MAX = 10_000_000;

export interface StoredItl {
  series: SeriesSummary;
  /** Gaps in the series. */
  count: number;
  /** True when the percentiles came from the histogram (count > ITL_EXACT_MAX). */
  histogram: boolean;
  /** report.html's ITL chart, from the same gaps. */
  chart: MetricDistribution;
}

/**
 * One data chunk's chunk times: `child` the list child's values, `entries` the (offset, length)
 * uint64 pairs read as uint32 words (little-endian: low word at 4·k; no chunk's list child reaches
 * 2³² values, and BigInt conversions cost ~40 ns per row), `keep` which rows count (null: all).
 */
export interface ItlAccumulator {
  add(child: Float64Array, entries: Uint32Array, rows: number, keep: Uint8Array | null): void;
  /** Throws when the gaps seen are not the `count` the accumulator was made for. */
  finish(): StoredItl;
}

/** `count`: the run's token gaps (counted by the sink or by SQL); `seq` names the run in errors. */
export function itlAccumulator(count: number, seq: number, exactMax = ITL_EXACT_MAX): ItlAccumulator {
  return count <= exactMax ? new ExactItl(count, seq) : new HistogramItl(count, seq);
}

class ExactItl implements ItlAccumulator {
  private readonly values: Float64Array;
  private at = 0;
  constructor(
    private readonly count: number,
    private readonly seq: number,
  ) {
    this.values = new Float64Array(count);
  }
  add(child: Float64Array, entries: Uint32Array, rows: number, keep: Uint8Array | null): void {
    const values = this.values;
    let at = this.at;
    for (let k = 0; k < rows; k++) {
      if (keep !== null && keep[k] === 0) continue;
      const off = entries[4 * k];
      const end = off + entries[4 * k + 2];
      for (let j = off + 1; j < end; j++) values[at++] = child[j] - child[j - 1];
    }
    this.at = at;
  }
  finish(): StoredItl {
    if (this.at !== this.count)
      throw new Error(`read back ${this.at} of run ${this.seq}'s ${this.count} stored token gaps`);
    const gaps = this.values;
    const series = summarizeSeriesInPlace(gaps);
    return { series, count: this.count, histogram: false, chart: distributionOfValues('itl', gaps) };
  }
}

/**
 * Buckets by the gap's IEEE-754 bits, as HdrHistogram does: its binary exponent and the top
 * MANTISSA_BITS bits of its mantissa — a shift and a mask per gap where Math.log cost ~20 ns.
 * A bucket [a, a·(1 + 2⁻⁹)) reported at its middle is within 2⁻¹⁰ = 0.098 % of every value in it.
 */
const MANTISSA_BITS = 9;
export const ITL_RELATIVE_ERROR = 2 ** -(MANTISSA_BITS + 1);
/** Bucket 0 holds the gaps below 1 ns (0 mostly: tokens read together); gaps up to 2⁴⁰ ns fit unless grown. */
const INITIAL_BUCKETS = 41 << MANTISSA_BITS;

class HistogramItl implements ItlAccumulator {
  private fine = new Float64Array(INITIAL_BUCKETS + 1);
  private readonly scratch = new Float64Array(1);
  private readonly bits = new Uint32Array(this.scratch.buffer);
  private min = Infinity;
  private max = -Infinity;
  // Neumaier-compensated total; squared deviations from the first gap, shifted (no cancellation
  // while the shift is near the mean: Chan et al.'s shifted-data algorithm).
  private total = 0;
  private compensation = 0;
  private shift = NaN;
  private shiftedSquares = 0;
  private zeros = 0;
  private subOne = 0;
  private seen = 0;

  constructor(
    private readonly count: number,
    private readonly seq: number,
  ) {}

  add(child: Float64Array, entries: Uint32Array, rows: number, keep: Uint8Array | null): void {
    const { scratch, bits } = this;
    let { fine, min, max, total, compensation, shift, shiftedSquares, zeros, subOne, seen } = this;
    for (let k = 0; k < rows; k++) {
      if (keep !== null && keep[k] === 0) continue;
      const off = entries[4 * k];
      const end = off + entries[4 * k + 2];
      seen += end - off - 1;
      if (shift !== shift) shift = child[off + 1] - child[off];
      // A request's gaps add up to its last chunk time minus its first: the total per request.
      const span = child[end - 1] - child[off];
      const t = total + span;
      compensation += Math.abs(total) >= Math.abs(span) ? total - t + span : span - t + total;
      total = t;
      for (let j = off + 1; j < end; j++) {
        const g = child[j] - child[j - 1];
        if (g < min) min = g;
        if (g > max) max = g;
        const d = g - shift;
        shiftedSquares += d * d;
        let b = 0;
        if (g >= 1) {
          scratch[0] = g;
          const hi = bits[1];
          b =
            ((((hi >>> 20) - 1023) << MANTISSA_BITS) | ((hi >>> (20 - MANTISSA_BITS)) & ((1 << MANTISSA_BITS) - 1))) +
            1;
          if (b >= fine.length) {
            const grown = new Float64Array(Math.max(b + 1, fine.length * 2));
            grown.set(fine);
            fine = grown;
          }
        } else if (g === 0) zeros++;
        else if (g > 0) subOne++;
        fine[b]++;
      }
    }
    Object.assign(this, { fine, min, max, total, compensation, shift, shiftedSquares, zeros, subOne, seen });
  }

  finish(): StoredItl {
    const { count, fine, min, max, shift, shiftedSquares, zeros, subOne } = this;
    if (this.seen !== count) throw new Error(`read back ${this.seen} of run ${this.seq}'s ${count} stored token gaps`);
    const total = this.total + this.compensation;
    const shiftedSum = total - count * shift;
    const rows: [b: number, n: number][] = [];
    for (let i = 0; i < fine.length; i++) if (fine[i] > 0) rows.push([i - 1, fine[i]]);
    const std =
      count > 1 ? Math.sqrt(Math.max(0, (shiftedSquares - (shiftedSum * shiftedSum) / count) / (count - 1))) : 0;
    /** A bucket's middle (clamped to the observed range); bucket −1 (below 1 ns) is 0. */
    const middle = (b: number) => {
      if (b < 0) return 0;
      const exponent = b >>> MANTISSA_BITS;
      const mantissa = b & ((1 << MANTISSA_BITS) - 1);
      return Math.min(max, Math.max(min, 2 ** exponent * (1 + (mantissa + 0.5) / (1 << MANTISSA_BITS))));
    };
    // The value at each rank, by the same "lower" rule as percentiles.ts: rank floor((n − 1) p).
    const at = (rank: number): number => {
      let seen = 0;
      for (const [b, n] of rows) {
        seen += n;
        if (rank < seen) return middle(b);
      }
      return max;
    };
    const percentiles = {} as Percentiles;
    for (const key of PERCENTILE_KEYS) percentiles[key] = at(Math.floor((count - 1) * (Number(key) / 100)));
    // The median is the p50 "lower" sample and std_dev the n − 1 deviation, as series-summary.ts.
    const median = at(Math.floor((count - 1) * 0.5));
    // MLPerf's 30 log-spaced buckets, filled from the fine buckets (each within 0.1 % of its values).
    const edges = logSpacedEdges(min, max);
    const counts = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
    for (const [b, n] of rows) {
      const v = Math.min(Math.max(middle(b), edges[0]), edges[HISTOGRAM_BUCKETS]);
      let k = 0;
      while (k < HISTOGRAM_BUCKETS - 1 && v >= edges[k + 1]) k++;
      counts[k] += n;
    }
    const histogram = {
      buckets: Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => [edges[i], edges[i + 1]] as [number, number]),
      counts,
    };
    const series = { min, max, median, avg: total / count, std_dev: std, total, percentiles, histogram };
    // report.html's ITL chart from the fine buckets (each within 0.1 % of its values), zeros exact;
    // gaps in (0, 1) ns (a fractional clock) drawn at 0.5 ns.
    const chartBuckets: (readonly [number, number])[] = rows.filter(([b]) => b >= 0).map(([b, n]) => [middle(b), n]);
    if (subOne > 0) chartBuckets.push([0.5, subOne]);
    const positive = chartBuckets.reduce((a, [, n]) => a + n, 0);
    const chart = distributionOfBuckets(
      'itl',
      {
        min: Math.min(...chartBuckets.map(([v]) => v)),
        max: Math.max(...chartBuckets.map(([v]) => v)),
        zeros,
        count: zeros + positive,
      },
      chartBuckets,
    );
    return { series, count, histogram: true, chart };
  }
}
