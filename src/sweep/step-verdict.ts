/**
 * Whether a sweep step passed its SLOs, behind one small interface: the sweep asks a StepJudge.
 * The judge here reads percentile SLOs (`p99(ttft)<=200ms`, `avg(e2e)<2s`) given to the sweep
 * (`sweep --step-slo`) and the per-request goodput a summary carries when it has one (the `goodput`
 * section the SLO work adds to result_summary.json). When `--slo` lands, its run SLOs go through the
 * same judge (metrics' evaluateSlos has this shape: a passed flag and one check per SLO).
 */
import { parseDurationMs } from '../config/duration.js';
import { PERCENTILE_KEYS, type PercentileKey } from '../metrics/percentiles.js';
import type { ResultSummary } from '../metrics/result-summary.js';
import type { SeriesSummary } from '../metrics/series-summary.js';

export interface StepSloCheck {
  slo: string;
  /** The measured statistic, ns; null when the series has no samples (the check fails). */
  value: number | null;
  limit: number;
  passed: boolean;
}

export interface StepVerdict {
  /** Every SLO held (true when there are none). */
  passed: boolean;
  checks: StepSloCheck[];
  /** Requests that met every per-request SLO, per second; null without per-request SLOs. */
  goodputRps: number | null;
  /** Share of requests that missed a per-request SLO; null without them. */
  sloMissRate: number | null;
}

export type StepJudge = (summary: ResultSummary) => StepVerdict;

export interface StepSlo {
  text: string;
  metric: 'ttft' | 'tpot' | 'itl' | 'e2e';
  statistic: PercentileKey | 'avg';
  op: '<=' | '<';
  limitNs: number;
}

/** `p99(ttft)<=200ms` → a StepSlo; a string is the error. */
export function parseStepSlo(raw: string): StepSlo | string {
  const text = raw.trim();
  const m = /^(p(\d+(?:\.\d+)?)|avg)\s*\(\s*(ttft|tpot|itl|e2e)\s*\)\s*(<=|<)\s*(.+)$/i.exec(text);
  if (m === null)
    return `"${text}" is not a step SLO: write STAT(METRIC)<=LIMIT, e.g. p99(ttft)<=500ms (METRIC: ttft, tpot, itl, e2e)`;
  let statistic: PercentileKey | 'avg' = 'avg';
  if (m[2] !== undefined) {
    const key = Number(m[2]).toFixed(1);
    if (!(PERCENTILE_KEYS as readonly string[]).includes(key))
      return `"${text}": p${m[2]} is not a reported percentile (p50, p90, p95, p99, p99.9, …)`;
    statistic = key as PercentileKey;
  }
  const ms = parseDurationMs(m[5].trim(), 'ms');
  if (ms === null || !(ms > 0)) return `"${text}": "${m[5]}" is not a duration (e.g. 200ms, 2s)`;
  return {
    text,
    metric: m[3].toLowerCase() as StepSlo['metric'],
    statistic,
    op: m[4] as '<=' | '<',
    limitNs: ms * 1e6,
  };
}

function seriesOf(summary: ResultSummary, metric: StepSlo['metric']): SeriesSummary {
  return metric === 'e2e' ? summary.latency : summary[metric];
}

/** Goodput as the SLO work adds it to the summary (vLLM's definition), when present. */
interface GoodputSection {
  fraction: number;
  request_rate: number;
}

export function stepJudge(slos: readonly StepSlo[]): StepJudge {
  return (summary) => {
    const checks = slos.map((s): StepSloCheck => {
      const series = seriesOf(summary, s.metric);
      const value =
        series.avg === null ? null : s.statistic === 'avg' ? series.avg : (series.percentiles[s.statistic] ?? null);
      const passed = value !== null && (s.op === '<=' ? value <= s.limitNs : value < s.limitNs);
      return { slo: s.text, value, limit: s.limitNs, passed };
    });
    const goodput = (summary as unknown as { goodput?: GoodputSection | null }).goodput ?? null;
    return {
      passed: checks.every((c) => c.passed),
      checks,
      goodputRps: goodput?.request_rate ?? null,
      sloMissRate: goodput === null ? null : 1 - goodput.fraction,
    };
  };
}
