/**
 * Service-level objectives (`--slo`), two kinds in one list:
 *
 * - per request, vLLM's `--goodput` definition: `ttft:200ms`, `tpot:50ms`, `itl-max:100ms`,
 *   `e2e:10s`. A request is good when it completed and meets every one of them (each value at or
 *   under its limit); goodput is good requests (and their output tokens) per second of the run.
 *   As in vLLM, a one-token answer has TPOT 0 and no ITL gap; a metric the request did not
 *   measure (TTFT of a non-streaming request) does not meet its limit.
 * - on the run, k6-threshold style: `p99(ttft)<=500ms`, `p50(e2e)<2s`, `avg(tpot)<=40ms`. They
 *   decide whether the run passes; a run that fails one exits 99 (k6's exit code for failed
 *   thresholds), after writing its report.
 */
import { parseDurationMs } from '../config/duration.js';
import { NS_PER_MS } from '../record/clock.js';
import type { RequestRecord } from '../record/request-record.js';
import { PERCENTILE_KEYS, type PercentileKey } from './percentiles.js';
import type { SeriesSummary } from './series-summary.js';

export const REQUEST_SLO_METRICS = ['ttft', 'tpot', 'itl-max', 'e2e'] as const;
export type RequestSloMetric = (typeof REQUEST_SLO_METRICS)[number];
export const RUN_SLO_METRICS = ['ttft', 'tpot', 'itl', 'e2e'] as const;
export type RunSloMetric = (typeof RUN_SLO_METRICS)[number];

export interface RequestSlo {
  kind: 'request';
  text: string;
  metric: RequestSloMetric;
  limitNs: number;
}

export interface RunSlo {
  kind: 'run';
  text: string;
  metric: RunSloMetric;
  /** A grid percentile key ("99.0"), or 'avg'. */
  statistic: PercentileKey | 'avg';
  op: '<=' | '<';
  limitNs: number;
}

export type Slo = RequestSlo | RunSlo;

/** Parses one `--slo` entry; a string is the error, saying what is accepted. */
export function parseSlo(raw: string): Slo | string {
  const text = raw.trim();
  const request = /^([a-z0-9-]+)\s*:\s*(.+)$/i.exec(text);
  if (request !== null) {
    const metric = request[1].toLowerCase();
    if (!(REQUEST_SLO_METRICS as readonly string[]).includes(metric)) {
      return `"${text}": per-request SLOs are ${REQUEST_SLO_METRICS.join(', ')} (e.g. ttft:200ms)`;
    }
    const limitNs = limitOf(request[2]);
    if (limitNs === null) return `"${text}": "${request[2]}" is not a duration (e.g. 200ms, 10s)`;
    return { kind: 'request', text, metric: metric as RequestSloMetric, limitNs };
  }
  const run = /^(p(\d+(?:\.\d+)?)|avg)\s*\(\s*([a-z0-9-]+)\s*\)\s*(<=|<)\s*(.+)$/i.exec(text);
  if (run === null) {
    return `"${text}" is not an SLO: write METRIC:LIMIT (ttft:200ms; ${REQUEST_SLO_METRICS.join(', ')}) or STAT(METRIC)<=LIMIT (p99(ttft)<=500ms)`;
  }
  let statistic: PercentileKey | 'avg' = 'avg';
  if (run[2] !== undefined) {
    const key = PERCENTILE_KEYS.find((k) => Number(k) === Number(run[2]));
    if (key === undefined) {
      return `"${text}": p${run[2]} is not on the percentile grid (${PERCENTILE_KEYS.map((k) => `p${Number(k)}`).join(', ')})`;
    }
    statistic = key;
  }
  const metric = run[3].toLowerCase();
  if (!(RUN_SLO_METRICS as readonly string[]).includes(metric)) {
    return `"${text}": run SLOs take ${RUN_SLO_METRICS.join(', ')} (e.g. p99(ttft)<=500ms)`;
  }
  const limitNs = limitOf(run[5]);
  if (limitNs === null) return `"${text}": "${run[5]}" is not a duration (e.g. 500ms, 2s)`;
  return { kind: 'run', text, metric: metric as RunSloMetric, statistic, op: run[4] as '<=' | '<', limitNs };
}

/** A bare number is milliseconds, as vLLM's --goodput values are. */
function limitOf(text: string): number | null {
  const ms = parseDurationMs(text.trim(), 'ms');
  return ms === null ? null : ms * NS_PER_MS;
}

export interface GoodputSummary {
  /** The per-request SLOs, as given. */
  slos: string[];
  /** Completed requests that met every per-request SLO. */
  n_good: number;
  /** n_good ÷ issued requests (a failed request is not good). */
  fraction: number;
  /** Good requests per second of the run. */
  request_rate: number;
  /** Output tokens of good requests per second of the run. */
  output_token_rate: number;
}

/** Counts good requests over every record (one pass); null when no per-request SLO is given. */
export function computeGoodput(
  records: Iterable<RequestRecord>,
  slos: readonly Slo[],
  durationNs: number,
): GoodputSummary | null {
  const counter = GoodputCounter.of(slos);
  if (counter === null) return null;
  for (const r of records) counter.add(r);
  return counter.result(durationNs);
}

/**
 * computeGoodput one record at a time, for records that stream past (the results store's bounded
 * end: store/bounded-summary.ts). `add` reads the record's fields and keeps none of them.
 */
export class GoodputCounter {
  private limitTtft = Infinity;
  private limitTpot = Infinity;
  private limitItl = Infinity;
  private limitE2e = Infinity;
  private issued = 0;
  private good = 0;
  private goodTokens = 0;

  private constructor(private readonly request: readonly RequestSlo[]) {
    for (const s of request) {
      if (s.metric === 'ttft') this.limitTtft = Math.min(this.limitTtft, s.limitNs);
      else if (s.metric === 'tpot') this.limitTpot = Math.min(this.limitTpot, s.limitNs);
      else if (s.metric === 'itl-max') this.limitItl = Math.min(this.limitItl, s.limitNs);
      else this.limitE2e = Math.min(this.limitE2e, s.limitNs);
    }
  }

  /** null when no per-request SLO is given. */
  static of(slos: readonly Slo[]): GoodputCounter | null {
    const request = slos.filter((s): s is RequestSlo => s.kind === 'request');
    return request.length === 0 ? null : new GoodputCounter(request);
  }

  /** The fields read: error, sent, firstToken, end, streaming, outputTokens, chunkTimes (with an itl-max SLO). */
  add(r: RequestRecord): void {
    const { limitTtft, limitTpot, limitItl, limitE2e } = this;
    this.issued++;
    if (r.error !== '' || (limitE2e !== Infinity && !(r.end - r.sent <= limitE2e))) return;
    const needsStream = limitTtft !== Infinity || limitTpot !== Infinity || limitItl !== Infinity;
    if (needsStream && !(r.streaming && Number.isFinite(r.firstToken))) return;
    if (limitTtft !== Infinity && !(r.firstToken - r.sent <= limitTtft)) return;
    // vLLM: TPOT of a one-token answer is 0.
    if (
      limitTpot !== Infinity &&
      r.outputTokens >= 2 &&
      !((r.end - r.firstToken) / (r.outputTokens - 1) <= limitTpot)
    ) {
      return;
    }
    if (limitItl !== Infinity) {
      const c = r.chunkTimes;
      for (let i = 1; i < c.length; i++) if (!(c[i] - c[i - 1] <= limitItl)) return;
    }
    this.good++;
    this.goodTokens += r.outputTokens;
  }

  /** Whether `add` reads chunkTimes (an itl-max SLO). */
  get readsChunkTimes(): boolean {
    return this.limitItl !== Infinity;
  }

  result(durationNs: number): GoodputSummary {
    const { issued, good } = this;
    const seconds = durationNs / 1e9;
    return {
      slos: this.request.map((s) => s.text),
      n_good: good,
      fraction: issued > 0 ? good / issued : 0,
      request_rate: seconds > 0 ? good / seconds : 0,
      output_token_rate: seconds > 0 ? this.goodTokens / seconds : 0,
    };
  }
}

export interface SloCheck {
  slo: string;
  /** The measured statistic (ns); null when the series has no samples (the check fails). */
  value: number | null;
  limit: number;
  passed: boolean;
}

export interface SloEvaluation {
  /** Every run SLO held (true when none is given). */
  passed: boolean;
  checks: SloCheck[];
}

/** What evaluateSlos reads: the four series a run SLO can name. */
export interface SloSeries {
  ttft: SeriesSummary;
  tpot: SeriesSummary;
  itl: SeriesSummary;
  latency: SeriesSummary;
}

/** Checks the run SLOs against a summary (sweeps call this per step; per-request SLOs are in goodput). */
export function evaluateSlos(summary: SloSeries, slos: readonly Slo[]): SloEvaluation {
  const checks: SloCheck[] = [];
  for (const s of slos) {
    if (s.kind !== 'run') continue;
    const series = s.metric === 'e2e' ? summary.latency : summary[s.metric];
    const value = series.avg === null ? null : s.statistic === 'avg' ? series.avg : series.percentiles[s.statistic];
    const passed = value !== null && (s.op === '<=' ? value <= s.limitNs : value < s.limitNs);
    checks.push({ slo: s.text, value, limit: s.limitNs, passed });
  }
  return { passed: checks.every((c) => c.passed), checks };
}
