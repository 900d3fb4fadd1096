/**
 * `--json`: the live view as JSON lines on stdout for CI and scripts, one `progress` event per
 * second from the moment the run begins connecting, a `done` event when the load has ended, and
 * a `report` event once the report is written (fields: docs/report-html.md, "Live view").
 */
import type { ResultSummary } from '../metrics/result-summary.js';
import type { LiveSnapshot } from './live-view-state.js';

const round = (v: number | null, digits = 3): number | null =>
  v === null || !Number.isFinite(v) ? null : Number(v.toFixed(digits));

export interface LiveProgressEvent {
  event: 'progress' | 'done';
  /** Seconds since the live view began (monotonic; connecting included). */
  time_s: number;
  /** Seconds since the common start of the schedule (0 before it). */
  elapsed_s: number;
  phase: LiveSnapshot['phase'];
  /** 0–1, by count or time; null when neither bounds the run. */
  progress: number | null;
  eta_s: number | null;
  issued: number;
  completed: number;
  failed: number;
  in_flight: number;
  open_connections: number;
  /** The window the next fields cover: the last 10 s (less at the start). */
  window_s: number;
  sent_per_s: number;
  finished_per_s: number;
  target_qps: number | null;
  target_concurrency: number | null;
  ttft_p50_ms: number | null;
  ttft_p99_ms: number | null;
  /** TTFTs (successful streaming requests) in the window. */
  ttft_count: number;
  errors_in_window: number;
}

export function progressEvent(s: LiveSnapshot, event: 'progress' | 'done' = 'progress'): LiveProgressEvent {
  const t = s.totals;
  const w = s.window;
  return {
    event,
    time_s: round(s.sinceBeginS)!,
    elapsed_s: round(s.elapsedS)!,
    phase: s.phase,
    progress: round(s.fraction, 4),
    eta_s: round(s.etaS, 1),
    issued: t.issued,
    completed: t.completed,
    failed: t.failed,
    in_flight: t.inFlight,
    open_connections: t.openConnections,
    window_s: round(w.windowS, 2)!,
    sent_per_s: round(w.issuedPerS, 2)!,
    finished_per_s: round(w.finishedPerS, 2)!,
    target_qps: s.plan.targetQps ?? null,
    target_concurrency: s.plan.concurrency ?? null,
    ttft_p50_ms: round(w.ttftP50Ms, 2),
    ttft_p99_ms: round(w.ttftP99Ms, 2),
    ttft_count: w.ttftCount,
    errors_in_window: w.errors,
  };
}

/** The last event: where the report is, how the run ended, its headline figures. */
export function reportEvent(summary: ResultSummary, reportDir: string, exitCode: number): Record<string, unknown> {
  const ms = (ns: number | null) => (ns === null ? null : round(ns / 1e6, 3));
  return {
    event: 'report',
    report_dir: reportDir,
    state: summary.state,
    exit_code: exitCode,
    issued: summary.n_samples_issued,
    completed: summary.n_samples_completed,
    failed: summary.n_samples_failed,
    qps: round(summary.qps, 3),
    tps: round(summary.tps, 3),
    ttft_p50_ms: ms(summary.ttft.percentiles['50.0']),
    ttft_p99_ms: ms(summary.ttft.percentiles['99.0']),
    latency_p50_ms: ms(summary.latency.percentiles['50.0']),
    latency_p99_ms: ms(summary.latency.percentiles['99.0']),
  };
}

export function jsonLine(event: object): string {
  return JSON.stringify(event) + '\n';
}
