/**
 * report.txt: the human summary written beside performance/result_summary.json and printed at the end of a
 * run. Plain ASCII, at most REPORT_WIDTH columns, every metric next to its definition so the
 * numbers cannot be misread.
 */
import { connectionsLines } from './connections-text.js';
import { formatEarlyStopping } from '../metrics/early-stopping-text.js';
import { formatGoodput, formatSloChecks } from '../metrics/slo-text.js';
import type { PercentileKey } from '../metrics/percentiles.js';
import type { ResultSummary } from '../metrics/result-summary.js';
import type { SeriesSummary } from '../metrics/series-summary.js';
import { formatMs, formatRate, formatSeconds, formatTokens, NOT_AVAILABLE } from './format-units.js';
import { formatTokenSources } from './token-sources-text.js';

export interface ReportTextContext {
  model: string;
  endpoints: string[];
  mode: string;
  loadPattern: string;
  streaming: boolean;
  reportDir?: string;
}

export const REPORT_WIDTH = 100;

const LABEL_WIDTH = 14;
const CELL_WIDTH = 9;
const FIELD_WIDTH = 12;

type Column = { title: string; pick: (s: SeriesSummary) => number | null };
const percentile = (key: PercentileKey) => (s: SeriesSummary) => s.percentiles[key];
const COLUMNS: readonly Column[] = [
  { title: 'avg', pick: (s) => s.avg },
  { title: 'min', pick: (s) => s.min },
  { title: 'p50', pick: percentile('50.0') },
  { title: 'p90', pick: percentile('90.0') },
  { title: 'p95', pick: percentile('95.0') },
  { title: 'p99', pick: percentile('99.0') },
  { title: 'p99.9', pick: percentile('99.9') },
  { title: 'max', pick: (s) => s.max },
];

interface MetricRow {
  label: string;
  series: SeriesSummary;
  definition: string;
}

export function formatReportText(summary: ResultSummary, context: ReportTextContext): string {
  const lines: string[] = [];
  lines.push('llm-loadgen result', '='.repeat(18));
  lines.push(...formatHeader(summary, context), '');
  lines.push(...formatMetricTables(summary, context), '');
  const slo = [...formatGoodput(summary.goodput, summary.n_samples_issued), ...formatSloChecks(summary.slo)];
  if (slo.length > 0) lines.push(...slo, '');
  lines.push(...formatFinishReasons(summary), '');
  lines.push(...formatErrors(summary));
  lines.push(...formatWarnings(summary.warnings));
  return lines.map((line) => fit(line, REPORT_WIDTH).trimEnd()).join('\n') + '\n';
}

function formatHeader(summary: ResultSummary, context: ReportTextContext): string[] {
  const lines: string[] = [field('model', context.model)];
  const endpoints = context.endpoints.length > 0 ? context.endpoints : [NOT_AVAILABLE];
  endpoints.forEach((endpoint, i) => lines.push(field(i === 0 ? 'endpoints' : '', endpoint)));
  lines.push(
    field('mode', `${context.mode} / ${context.loadPattern}, streaming ${context.streaming ? 'on' : 'off'}`),
    field('state', summary.complete ? summary.state : `${summary.state} (partial run)`),
    ...(summary.stop_reason !== null ? [field('stopped', summary.stop_reason)] : []),
    field('duration', `${formatSeconds(summary.duration_ns)} s`),
    field(
      'requests',
      `${summary.n_samples_issued} issued, ${summary.n_samples_completed} completed, ` +
        `${summary.n_samples_failed} failed`,
    ),
    field('throughput', `${formatRate(summary.qps)} req/s, ${formatRate(summary.tps)} output tokens/s`),
  );
  if (context.reportDir !== undefined) lines.push(field('report dir', context.reportDir));
  return lines;
}

function formatMetricTables(summary: ResultSummary, context: ReportTextContext): string[] {
  const timeRows: MetricRow[] = [
    { label: 'TTFT', series: summary.ttft, definition: 'first token - request sent' },
    {
      label: 'TPOT',
      series: summary.tpot,
      definition: '(end - first token) / (output tokens - 1)',
    },
    {
      label: 'ITL',
      series: summary.itl,
      definition: 'gap between consecutive token-bearing chunks',
    },
    { label: 'E2E latency', series: summary.latency, definition: 'end - request sent' },
  ];
  const clientRows: MetricRow[] = [
    {
      label: 'client wait',
      series: summary.client_wait,
      definition: 'request sent - scheduled send time (reported apart; not part of TTFT)',
    },
    {
      label: '  queued',
      series: summary.client_queue_wait,
      definition: 'client wait minus its connect time (schedule lag, --send-window included; a connection wait)',
    },
    {
      label: 'connect',
      series: summary.connections.connect_time,
      definition: 'connected - connect start, requests that opened a new connection',
    },
  ];
  const tokenRows: MetricRow[] = [
    {
      label: 'ISL',
      series: summary.input_sequence_lengths,
      definition: 'input tokens per completed request',
    },
    {
      label: 'OSL',
      series: summary.output_sequence_lengths,
      definition: 'output tokens per completed request',
    },
  ];

  const lines: string[] = [];
  lines.push(tableHeader('time (ms)'));
  for (const row of timeRows) lines.push(...metricRow(row, formatMs));
  const earlyStopping = formatEarlyStopping(summary, LABEL_WIDTH, CELL_WIDTH);
  if (earlyStopping.length > 0) lines.push('', ...earlyStopping);
  lines.push('');
  for (const row of clientRows) lines.push(...metricRow(row, formatMs));
  const c = summary.connections;
  const [first, ...more] = connectionsLines(c);
  lines.push(`connections: ${first}`, ...more.map((l) => `  ${l}`));
  lines.push('');
  lines.push(tableHeader('tokens'));
  for (const row of tokenRows) lines.push(...metricRow(row, formatTokens));
  lines.push(...formatTokenSources(summary.token_counts));

  const notes: string[] = [];
  if (!context.streaming) notes.push('note: TTFT/TPOT/ITL need --streaming on.');
  if (context.mode === 'offline' || context.loadPattern === 'offline') {
    notes.push(
      'note: offline issues every request at once, so client wait includes waiting for a free' +
        ' connection (by design).',
    );
  }
  if (notes.length > 0) lines.push('', ...notes);
  return lines;
}

function tableHeader(title: string): string {
  const header = title.padEnd(LABEL_WIDTH) + COLUMNS.map((c) => cell(c.title)).join('');
  return `${header}\n${'-'.repeat(header.length)}`;
}

function metricRow(row: MetricRow, format: (value: number | null) => string): string[] {
  const label = row.label.padEnd(LABEL_WIDTH);
  const values =
    row.series.avg === null
      ? cell(NOT_AVAILABLE)
      : COLUMNS.map((column) => cell(format(column.pick(row.series)))).join('');
  return [label + values, `  = ${row.definition}`];
}

function formatFinishReasons(summary: ResultSummary): string[] {
  const entries = Object.entries(summary.finish_reason_counts)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return ['finish reasons: none (no completed requests)'];
  const width = Math.max(...entries.map(([reason]) => reason.length), 'reason'.length);
  return [
    'finish reasons',
    ...entries.map(([reason, count]) => `  ${toAscii(reason).padEnd(width)}  ${String(count).padStart(9)}`),
  ];
}

/** One row per code (and per status for http_status), each with its own example on the lines below, wrapped at words. */
function formatErrors(summary: ResultSummary): string[] {
  const rows: { code: string; count: number; example: string }[] = [];
  for (const [code, error] of Object.entries(summary.errors)) {
    const statuses = error.by_status !== undefined ? Object.entries(error.by_status) : [];
    if (statuses.length === 0) rows.push({ code, count: error.count, example: error.example });
    for (const [status, e] of statuses) rows.push({ code: `${code} ${status}`, count: e.count, example: e.example });
  }
  if (rows.length === 0) return ['errors: none'];
  rows.sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  const codeWidth = Math.max(...rows.map((r) => r.code.length), 'code'.length);
  const lines = ['errors', `  ${'code'.padEnd(codeWidth)}  ${'count'.padStart(9)}  example`];
  for (const r of rows) {
    lines.push(`  ${r.code.padEnd(codeWidth)}  ${String(r.count).padStart(9)}`);
    if (r.example !== '') lines.push(...wrap(toAscii(r.example), '', REPORT_WIDTH - 4).map((l) => `    ${l}`));
  }
  return lines;
}

/** Warnings go last, framed, so they are the last thing a reader sees. */
function formatWarnings(warnings: readonly string[]): string[] {
  if (warnings.length === 0) return [];
  const frame = '!'.repeat(REPORT_WIDTH);
  const lines = ['', frame];
  for (const warning of warnings) lines.push(...wrap(`WARNING: ${toAscii(warning)}`, '         '));
  lines.push(frame);
  return lines;
}

function field(label: string, value: string): string {
  const name = label === '' ? '' : `${label}:`;
  return `${name.padEnd(FIELD_WIDTH)}${toAscii(value)}`;
}

function cell(text: string): string {
  return ' ' + text.padStart(CELL_WIDTH);
}

/** Word-wraps to `width`; continuation lines start with `indent`. */
function wrap(text: string, indent: string, width = REPORT_WIDTH): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (candidate.length <= width || line.trim() === '') {
      line = candidate;
    } else {
      lines.push(line);
      line = indent + word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Server-provided text (error excerpts, finish reasons) may hold newlines or non-ASCII bytes. */
function toAscii(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?');
}

/** Cuts a line that would pass the width limit; multi-line strings are fitted line by line. */
function fit(line: string, width: number): string {
  return line
    .split('\n')
    .map((part) => (part.length <= width ? part : part.slice(0, width - 3) + '...'))
    .join('\n');
}
