/**
 * summary.csv: one row per run (a sweep adds one per step) for spreadsheets. Times in ms, rates
 * per second; an empty cell is a figure the run has none of (no streaming → no TTFT).
 */
import type { ResultSummary } from '../metrics/result-summary.js';
import type { SeriesSummary } from '../metrics/series-summary.js';

/** What a row says besides the summary. */
export interface SummaryCsvRun {
  id: string;
  startedAt: Date;
  endpoints: readonly string[];
  model: string;
  labels: Readonly<Record<string, string>>;
  /** A sweep's step (helper "load"); empty for a plain run. */
  step?: string;
}

const SERIES: [name: string, pick: (s: ResultSummary) => SeriesSummary][] = [
  ['ttft', (s) => s.ttft],
  ['tpot', (s) => s.tpot],
  ['itl', (s) => s.itl],
  ['latency', (s) => s.latency],
];

export const SUMMARY_CSV_COLUMNS: readonly string[] = [
  'run_id',
  'step',
  'started_at',
  'state',
  'endpoints',
  'model',
  'mode',
  'load_pattern',
  'offered_qps',
  'n_issued',
  'n_completed',
  'n_failed',
  'duration_s',
  'qps',
  'tps',
  ...SERIES.flatMap(([name]) => [`${name}_avg_ms`, `${name}_p50_ms`, `${name}_p90_ms`, `${name}_p99_ms`]),
  'labels',
];

/** A CSV cell: quoted when it holds a comma, a quote or a line break (RFC 4180). */
function cell(v: string | number | null): string {
  if (v === null) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const ms = (ns: number | null) => (ns === null ? null : Math.round(ns / 1e3) / 1e3);

export function summaryCsvRow(run: SummaryCsvRun, s: ResultSummary): string {
  const cells: (string | number | null)[] = [
    run.id,
    run.step ?? '',
    run.startedAt.toISOString(),
    s.state,
    run.endpoints.join(' '),
    run.model,
    s.mode,
    s.load_pattern,
    s.offered_qps,
    s.n_samples_issued,
    s.n_samples_completed,
    s.n_samples_failed,
    Math.round(s.duration_ns / 1e6) / 1e3,
    s.qps,
    s.tps,
    ...SERIES.flatMap(([, pick]) => {
      const x = pick(s);
      return [ms(x.avg), ms(x.percentiles['50.0']), ms(x.percentiles['90.0']), ms(x.percentiles['99.0'])];
    }),
    Object.entries(run.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(';'),
  ];
  return cells.map(cell).join(',');
}

/** The whole file: the header and one line per row. */
export function formatSummaryCsv(rows: readonly (readonly [SummaryCsvRun, ResultSummary])[]): string {
  return [SUMMARY_CSV_COLUMNS.join(','), ...rows.map(([run, s]) => summaryCsvRow(run, s))].join('\n') + '\n';
}
