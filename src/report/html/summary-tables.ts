/**
 * The page's tables, from a run's result summary: the run at a glance, each latency metric's
 * percentiles, errors, and the client-health block (connections, client queue wait, schedule lag,
 * CPU) that says whether the numbers measure the server or the client. Every outside string is
 * escaped here.
 */
import { connectionsLines } from '../connections-text.js';
import type { ResultSummary } from '../../metrics/result-summary.js';
import type { SeriesSummary } from '../../metrics/series-summary.js';
import { formatMs, formatRate, formatSeconds, formatTokens, NOT_AVAILABLE } from '../format-units.js';
import { escapeHtml } from './html-escape.js';
import { METRIC_DEFINITIONS } from './metric-definitions.js';

/** Who ran what: shown above the figures (model names and endpoints are outside text). */
export interface RunContext {
  model: string;
  endpoints: readonly string[];
  mode: string;
  loadPattern: string;
  streaming: boolean;
  /** ISO time the run started. */
  startedAt?: string;
  reportDir?: string;
}

export function metaList(rows: [string, string][]): string {
  return (
    '<dl class="meta">' + rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('') + '</dl>'
  );
}

export function runMeta(summary: ResultSummary, context: RunContext): string {
  const rows: [string, string][] = [
    ['model', context.model],
    ['endpoints', context.endpoints.join(', ') || NOT_AVAILABLE],
    ['mode', `${context.mode} / ${context.loadPattern}, streaming ${context.streaming ? 'on' : 'off'}`],
    ['state', summary.complete ? summary.state : `${summary.state} (partial run)`],
    ['duration', `${formatSeconds(summary.duration_ns)} s`],
    [
      'requests',
      `${summary.n_samples_issued} issued, ${summary.n_samples_completed} completed, ${summary.n_samples_failed} failed`,
    ],
    ['throughput', `${formatRate(summary.qps)} req/s, ${formatRate(summary.tps)} output tokens/s`],
  ];
  if (summary.offered_qps !== null) rows.push(['offered', `${formatRate(summary.offered_qps)} req/s`]);
  if (context.startedAt !== undefined) rows.push(['started', context.startedAt]);
  if (context.reportDir !== undefined) rows.push(['report dir', context.reportDir]);
  return metaList(rows);
}

export function warningsList(warnings: readonly string[]): string {
  if (warnings.length === 0) return '';
  return '<h2>Warnings</h2><ul class="warnings">' + warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('') + '</ul>';
}

const PERCENTILE_COLUMNS: [string, (s: SeriesSummary) => number | null][] = [
  ['avg', (s) => s.avg],
  ['min', (s) => s.min],
  ['p50', (s) => s.percentiles['50.0']],
  ['p90', (s) => s.percentiles['90.0']],
  ['p95', (s) => s.percentiles['95.0']],
  ['p99', (s) => s.percentiles['99.0']],
  ['p99.9', (s) => s.percentiles['99.9']],
  ['max', (s) => s.max],
];

function seriesTable(rows: [string, SeriesSummary][], format: (v: number | null) => string, unit: string): string {
  const head = `<tr><th>${escapeHtml(unit)}</th>` + PERCENTILE_COLUMNS.map(([t]) => `<th>${t}</th>`).join('') + '</tr>';
  const body = rows
    .map(
      ([label, s]) =>
        `<tr><td>${escapeHtml(label)}</td>` +
        PERCENTILE_COLUMNS.map(([, pick]) => `<td>${format(pick(s))}</td>`).join('') +
        '</tr>',
    )
    .join('');
  return `<table class="data">${head}${body}</table>`;
}

export function latencyTable(summary: ResultSummary): string {
  return (
    seriesTable(
      [
        ['TTFT', summary.ttft],
        ['TPOT', summary.tpot],
        ['ITL', summary.itl],
        ['E2E latency', summary.latency],
      ],
      formatMs,
      'ms',
    ) +
    '<p></p>' +
    seriesTable(
      [
        ['input tokens', summary.input_sequence_lengths],
        ['output tokens', summary.output_sequence_lengths],
      ],
      formatTokens,
      'tokens',
    )
  );
}

export function errorsTable(summary: ResultSummary): string {
  const rows: string[] = [];
  for (const [code, e] of Object.entries(summary.errors)) {
    if (e === undefined) continue;
    rows.push(`<tr><td>${escapeHtml(code)}</td><td>${e.count}</td><td class="text">${escapeHtml(e.example)}</td></tr>`);
    for (const [status, s] of Object.entries(e.by_status ?? {})) {
      rows.push(
        `<tr><td>&nbsp;&nbsp;status ${escapeHtml(status)}</td><td>${s.count}</td><td class="text">${escapeHtml(s.example)}</td></tr>`,
      );
    }
  }
  const reasons = Object.entries(summary.finish_reason_counts)
    .map(([r, n]) => `${escapeHtml(r)} ${n}`)
    .join(', ');
  const errors =
    rows.length === 0
      ? '<p>No request failed.</p>'
      : `<table class="data"><tr><th>code</th><th>count</th><th>first message</th></tr>${rows.join('')}</table>`;
  return `${errors}<p class="muted">finish reasons: ${reasons || NOT_AVAILABLE}</p>`;
}

/** Whatever the summary has about the client itself (ms series, counts, CPU). */
export function clientHealthTable(summary: ResultSummary, shards?: number): string {
  const c = summary.connections;
  const table = seriesTable(
    [
      ['client wait', summary.client_wait],
      ['client queue wait', summary.client_queue_wait],
      ['schedule lag', summary.schedule_lag],
      ['connect time', c.connect_time],
    ],
    formatMs,
    'ms',
  );
  const rows: [string, string][] = [['connections', connectionsLines(c).join('; ')]];
  if (summary.client_cpu_ns !== null) {
    const perRequest =
      summary.n_samples_issued > 0
        ? `, ${(summary.client_cpu_ns / summary.n_samples_issued / 1000).toFixed(1)} µs per request`
        : '';
    const share =
      shards !== undefined && shards > 0 && summary.duration_ns > 0
        ? `, ${((100 * summary.client_cpu_ns) / (summary.duration_ns * shards)).toFixed(0)} % of ${shards} shard core(s)`
        : '';
    rows.push(['client CPU', `${formatSeconds(summary.client_cpu_ns)} s${perRequest}${share}`]);
  }
  rows.push(['port exhaustion', `${summary.port_exhaustion_events} connects waited for a free local port`]);
  rows.push([
    'sending time, drain',
    `${formatSeconds(summary.send_window_ns)} s, ${formatSeconds(summary.drain_ns)} s`,
  ]);
  if (summary.cached_prompt_fraction !== null)
    rows.push(['cached prompt tokens', `${(summary.cached_prompt_fraction * 100).toFixed(1)} %`]);
  return table + metaList(rows);
}

export function definitionsList(): string {
  return (
    '<dl class="definitions">' +
    METRIC_DEFINITIONS.map((d) => `<dt>${escapeHtml(d.name)}</dt><dd>${escapeHtml(d.definition)}</dd>`).join('') +
    '</dl>'
  );
}
