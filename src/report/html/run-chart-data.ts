/**
 * What report.html draws for one run, computed from its records in two passes and of bounded size
 * whatever the run's length: every latency value is binned (not sampled), the timeline is binned
 * by time, and only the TTFT-vs-time scatter is a seeded uniform sample. 1M records give the same
 * few hundred KB as 10k.
 *
 * Records come from the run (RequestRecord, via RecordBatchList) or from the results database as
 * plain rows: anything with the fields of ChartRecord, iterated twice.
 */
import { NS_PER_MS, NS_PER_S } from '../../record/clock.js';
import { SeededRandom } from '../../dataset/seeded-random.js';

/** The fields of a record the charts use (RequestRecord has them all). Times in ns, NaN = never reached. */
export interface ChartRecord {
  dispatched: number;
  sent: number;
  firstToken: number;
  end: number;
  /** '' on success, else the outcome code. */
  error: string;
  streaming: boolean;
  outputTokens: number;
  /** Arrival of every token-bearing chunk (streaming). */
  chunkTimes: ArrayLike<number>;
}

export type MetricKey = 'ttft' | 'tpot' | 'itl' | 'latency';

/** One metric's values, binned on a log scale between its smallest positive value and its largest. */
export interface MetricDistribution {
  key: MetricKey;
  /** Values binned (all of them). */
  count: number;
  /** Values of exactly 0 (ITL gaps between events read together), counted apart: a log axis has no 0. */
  zeros: number;
  /** Bin edges in ms, FINE_BINS + 1 of them (empty when count − zeros is 0). */
  edgesMs: number[];
  counts: number[];
}

/** The run over time, in bins of `binS` seconds from the common start. */
export interface Timeline {
  binS: number;
  /** Start of each bin, s. */
  t: number[];
  /** Successful requests that ended in the bin, per second. */
  completedPerS: number[];
  /** Output tokens of those requests, per second. */
  tokensPerS: number[];
  /** Failed requests that ended in the bin, per second. */
  errorsPerS: number[];
  /** Requests in flight (issued, not finished), averaged over the bin. */
  inFlight: number[];
}

export interface TtftScatter {
  /** When each request was sent, s from the start (ascending). */
  tS: number[];
  ttftMs: number[];
  /** Successful streaming requests with a TTFT (the sample is drawn from these). */
  total: number;
}

export interface RunChartData {
  records: number;
  distributions: Record<MetricKey, MetricDistribution>;
  timeline: Timeline;
  ttftScatter: TtftScatter;
  /** How the data was reduced, for the page to say. */
  reduction: { fineBins: number; scatterCap: number; seed: number };
}

export interface ChartDataOptions {
  /** The common start of the run (record times are absolute ns on its clock; 0 for relative rows). */
  startNs: number;
  /** End of the run (the last record's end by default). */
  endNs?: number;
  /** Seed of the scatter's sample (the run's --seed makes the page reproducible). */
  seed?: number;
  /** Largest scatter sample (default SCATTER_CAP). */
  scatterCap?: number;
}

/**
 * Log bins per metric: 400 over the observed range give a bin width of range^(1/400) — 1.2 % for
 * a 100× range — fine enough for a CDF read to a percentile, and 4 metrics × 400 bins is ~20 KB.
 */
export const FINE_BINS = 400;
/** 20k points draw in ~50 ms and are ~300 KB of JSON; more only hides the shape under ink. */
export const SCATTER_CAP = 20_000;
/** The timeline has at most this many bins (a 10-hour run in 2-minute bins). */
const MAX_TIME_BINS = 300;
const NICE_BIN_S = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];

const METRICS: readonly MetricKey[] = ['ttft', 'tpot', 'itl', 'latency'];

class Range {
  min = Infinity;
  max = -Infinity;
  zeros = 0;
  count = 0;
  add(v: number): void {
    if (!(v >= 0) || v === Infinity) return;
    this.count++;
    if (v === 0) {
      this.zeros++;
      return;
    }
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
}

class LogBins {
  readonly counts = new Float64Array(FINE_BINS);
  private readonly logMin: number;
  private readonly scale: number;
  constructor(readonly range: Range) {
    const positive = range.count - range.zeros > 0;
    // One value (or equal ones): a bin ±1 % around it.
    const lo = positive ? (range.min === range.max ? range.min * 0.99 : range.min) : 1;
    const hi = positive ? (range.min === range.max ? range.max * 1.01 : range.max) : 2;
    this.logMin = Math.log(lo);
    this.scale = FINE_BINS / (Math.log(hi) - this.logMin);
  }
  add(v: number, times = 1): void {
    if (!(v > 0) || v === Infinity) return;
    let b = Math.floor((Math.log(v) - this.logMin) * this.scale);
    if (b >= FINE_BINS) b = FINE_BINS - 1;
    else if (b < 0) b = 0;
    this.counts[b] += times;
  }
  distribution(key: MetricKey): MetricDistribution {
    const positive = this.range.count - this.range.zeros > 0;
    const edgesMs: number[] = [];
    if (positive) {
      for (let i = 0; i <= FINE_BINS; i++) edgesMs.push(round4(Math.exp(this.logMin + i / this.scale) / NS_PER_MS));
    }
    return {
      key,
      count: this.range.count,
      zeros: this.range.zeros,
      edgesMs,
      counts: positive ? Array.from(this.counts) : [],
    };
  }
}

function ttftOf(r: TimelineRecord): number {
  return r.error === '' && r.streaming ? r.firstToken - r.sent : NaN;
}
function tpotOf(r: ChartRecord): number {
  return r.error === '' && r.streaming && r.outputTokens >= 2 ? (r.end - r.firstToken) / (r.outputTokens - 1) : NaN;
}
function latencyOf(r: ChartRecord): number {
  return r.error === '' ? r.end - r.sent : NaN;
}

/** Four significant digits: what a chart can show, and a third of the JSON of a full double. */
export function round4(v: number): number {
  return Number.isFinite(v) && v !== 0 ? Number(v.toPrecision(4)) : v;
}

function timeBinS(durationS: number): number {
  for (const b of NICE_BIN_S) if (durationS / b <= MAX_TIME_BINS) return b;
  return Math.ceil(durationS / MAX_TIME_BINS / 3600) * 3600;
}

/** One metric's distribution from its values (any order): what extractRunChartData makes of the same values. */
export function distributionOfValues(key: MetricKey, values: Float64Array): MetricDistribution {
  const range = new Range();
  for (let i = 0; i < values.length; i++) range.add(values[i]);
  const bins = new LogBins(range);
  for (let i = 0; i < values.length; i++) bins.add(values[i]);
  return bins.distribution(key);
}

/**
 * One metric's distribution from a histogram of its values: `buckets` are (value, count) pairs,
 * each value standing for its count; min, max and the zeros are the exact ones.
 */
export function distributionOfBuckets(
  key: MetricKey,
  exact: { min: number; max: number; zeros: number; count: number },
  buckets: Iterable<readonly [value: number, count: number]>,
): MetricDistribution {
  const range = new Range();
  Object.assign(range, exact);
  const bins = new LogBins(range);
  for (const [v, n] of buckets) bins.add(v, n);
  return bins.distribution(key);
}

/**
 * Records that come with their ITL distribution already computed (the results store computes it
 * with the ITL summary, from the stored chunk times): their chunkTimes are then not read.
 */
export interface ChartRecords extends Iterable<ChartRecord> {
  itlDistribution?: MetricDistribution | null;
  /** The chart data for `options` when already made elsewhere (a worker thread); null: make it here. */
  precomputedCharts?(options: ChartDataOptions): Promise<RunChartData> | null;
}

/** The charts' data for one run; `records` is iterated twice (ranges, then bins and sample). */
export function extractRunChartData(records: ChartRecords, options: ChartDataOptions): RunChartData {
  const itlGiven = records.itlDistribution ?? null;
  const startNs = options.startNs;
  const ranges: Record<MetricKey, Range> = {
    ttft: new Range(),
    tpot: new Range(),
    itl: new Range(),
    latency: new Range(),
  };
  let n = 0;
  let lastEnd = startNs;
  for (const r of records) {
    n++;
    if (r.end > lastEnd) lastEnd = r.end;
    ranges.ttft.add(ttftOf(r));
    ranges.tpot.add(tpotOf(r));
    ranges.latency.add(latencyOf(r));
    if (itlGiven === null && r.error === '' && r.streaming) {
      const c = r.chunkTimes;
      for (let j = 1; j < c.length; j++) ranges.itl.add(c[j] - c[j - 1]);
    }
  }
  const bins: Record<MetricKey, LogBins> = {
    ttft: new LogBins(ranges.ttft),
    tpot: new LogBins(ranges.tpot),
    itl: new LogBins(ranges.itl),
    latency: new LogBins(ranges.latency),
  };
  const overTime = new TimelineAndScatter(options, lastEnd, ranges.ttft.count);
  for (const r of records) {
    bins.ttft.add(ttftOf(r));
    bins.tpot.add(tpotOf(r));
    bins.latency.add(latencyOf(r));
    if (itlGiven === null && r.error === '' && r.streaming) {
      const c = r.chunkTimes;
      for (let j = 1; j < c.length; j++) bins.itl.add(c[j] - c[j - 1]);
    }
    overTime.add(r);
  }
  const distributions = {} as Record<MetricKey, MetricDistribution>;
  for (const key of METRICS) distributions[key] = bins[key].distribution(key);
  if (itlGiven !== null) distributions.itl = itlGiven;
  return overTime.finish(n, distributions);
}

/** The fields TimelineAndScatter reads (no chunk times). */
export type TimelineRecord = Omit<ChartRecord, 'chunkTimes'>;

/**
 * The timeline and the TTFT scatter, one record at a time in the records' order (the sample and
 * the in-flight sums depend on it): extractRunChartData's second pass, and the results store's
 * bounded end, which streams the same fields past in the same order (store/bounded-summary.ts).
 * `lastEnd`: the latest end (the end of the run without options.endNs); `ttftCount`: the TTFTs the
 * sample is drawn from (the TTFT distribution's count).
 */
export class TimelineAndScatter {
  private readonly startNs: number;
  private readonly seed: number;
  private readonly cap: number;
  private readonly binS: number;
  private readonly binNs: number;
  private readonly nBins: number;
  private readonly completed: Float64Array;
  private readonly tokens: Float64Array;
  private readonly errors: Float64Array;
  // In flight as a step function: +1 at issue, −1 at the end; `partial` holds the share of the bin
  // an event falls in, `steps` the whole bins after it (integrated below): O(1) per record.
  private readonly steps: Float64Array;
  private readonly partial: Float64Array;
  private readonly random: SeededRandom;
  private readonly sampleT: Float64Array;
  private readonly sampleV: Float64Array;
  private seen = 0;

  constructor(options: ChartDataOptions, lastEnd: number, ttftCount: number) {
    const startNs = options.startNs;
    this.startNs = startNs;
    this.seed = options.seed ?? 0;
    this.cap = options.scatterCap ?? SCATTER_CAP;
    const endNs = Math.max(options.endNs ?? lastEnd, startNs);
    const durationS = (endNs - startNs) / NS_PER_S;
    this.binS = timeBinS(durationS);
    this.binNs = this.binS * NS_PER_S;
    this.nBins = Math.max(1, Math.ceil((endNs - startNs) / this.binNs));
    this.completed = new Float64Array(this.nBins);
    this.tokens = new Float64Array(this.nBins);
    this.errors = new Float64Array(this.nBins);
    this.steps = new Float64Array(this.nBins + 1);
    this.partial = new Float64Array(this.nBins);
    this.random = SeededRandom.derive(this.seed, 'report-html-scatter');
    this.sampleT = new Float64Array(Math.min(this.cap, ttftCount));
    this.sampleV = new Float64Array(this.sampleT.length);
  }

  private binOf(t: number): number {
    return Math.min(this.nBins - 1, Math.max(0, Math.floor((t - this.startNs) / this.binNs)));
  }

  private addStep(t: number, sign: number): void {
    const { startNs, nBins, binNs } = this;
    const clamped = Math.min(Math.max(t, startNs), startNs + nBins * binNs);
    const b = Math.min(nBins, Math.floor((clamped - startNs) / binNs));
    if (b >= nBins) return;
    this.partial[b] += (sign * (startNs + (b + 1) * binNs - clamped)) / binNs;
    this.steps[b + 1] += sign;
  }

  add(r: TimelineRecord): void {
    if (Number.isFinite(r.end)) {
      const b = this.binOf(r.end);
      if (r.error === '') {
        this.completed[b]++;
        this.tokens[b] += r.outputTokens;
      } else this.errors[b]++;
    }
    const issued = Number.isFinite(r.dispatched) ? r.dispatched : r.sent;
    if (Number.isFinite(issued) && Number.isFinite(r.end) && r.end > issued) {
      this.addStep(issued, 1);
      this.addStep(r.end, -1);
    }
    // Reservoir sampling (Vitter's algorithm R): every TTFT has the same chance to be drawn.
    const ttft = ttftOf(r);
    const { sampleT, sampleV } = this;
    if (ttft >= 0 && sampleT.length > 0) {
      const seen = this.seen;
      const slot = seen < sampleT.length ? seen : this.random.nextIntBelow(seen + 1);
      if (slot < sampleT.length) {
        sampleT[slot] = (r.sent - this.startNs) / NS_PER_S;
        sampleV[slot] = ttft / NS_PER_MS;
      }
      this.seen++;
    }
  }

  /** The chart data, with the run's record count and the four distributions. */
  finish(records: number, distributions: Record<MetricKey, MetricDistribution>): RunChartData {
    const { binS, nBins, steps, partial, sampleT, sampleV, seen } = this;
    const t: number[] = [];
    const inFlight: number[] = [];
    let level = 0;
    for (let b = 0; b < nBins; b++) {
      level += steps[b];
      t.push(round4(b * binS));
      inFlight.push(round4(Math.max(0, level + partial[b])));
    }
    const perS = (a: Float64Array) => Array.from(a, (v) => round4(v / binS));
    const order = Array.from({ length: Math.min(seen, sampleT.length) }, (_, i) => i).sort(
      (a, b) => sampleT[a] - sampleT[b],
    );
    return {
      records,
      distributions,
      timeline: {
        binS,
        t,
        completedPerS: perS(this.completed),
        tokensPerS: perS(this.tokens),
        errorsPerS: perS(this.errors),
        inFlight,
      },
      ttftScatter: {
        tS: order.map((i) => round4(sampleT[i])),
        ttftMs: order.map((i) => round4(sampleV[i])),
        total: seen,
      },
      reduction: { fineBins: FINE_BINS, scatterCap: this.cap, seed: this.seed },
    };
  }
}
