/**
 * A page overlaying runs: each latency metric's CDF with one line per run, throughput over time,
 * and a table of headline figures. Runs come as plain data (a name, its chart data, its summary),
 * from the run itself or the results database.
 */
import type { ResultSummary } from '../../metrics/result-summary.js';
import { formatMs, formatRate } from '../format-units.js';
import type { AccuracyComparison } from '../../store/accuracy-compare.js';
import { accuracyCompareHtml } from './accuracy-section.js';
import { cdfPlot } from './cdf-chart.js';
import { escapeHtml } from './html-escape.js';
import { METRIC_KEYS } from './metric-names.js';
import { figureHtml, renderPage } from './page-shell.js';
import type { PlotSpec } from './plot-spec.js';
import type { RunChartData } from './run-chart-data.js';
import { definitionsList } from './summary-tables.js';
import { throughputOverlay } from './timeline-chart.js';

export interface CompareRun {
  /** The run's name in the legend and the table (its id, label or directory). */
  label: string;
  charts: RunChartData;
  summary: ResultSummary;
}

export interface ComparePageInput {
  runs: CompareRun[];
  title?: string;
  /** Lines under the table (e.g. which differences are beyond run-to-run noise); escaped. */
  notes?: string[];
  /** Per accuracy dataset: each run's score and the change from the first (accuracy-section.ts). */
  accuracy?: readonly AccuracyComparison[];
}

export function comparePlots(runs: CompareRun[]): PlotSpec[] {
  const plots: PlotSpec[] = [];
  for (const key of METRIC_KEYS) {
    const p = cdfPlot(
      key,
      runs.map((r) => ({ label: r.label, distribution: r.charts.distributions[key] })),
      `compare-cdf-${key}`,
    );
    if (p !== null) plots.push(p);
  }
  plots.push(throughputOverlay(runs.map((r) => ({ label: r.label, timeline: r.charts.timeline }))));
  return plots;
}

const HEADLINES: [string, (s: ResultSummary) => string][] = [
  ['requests', (s) => `${s.n_samples_completed}/${s.n_samples_issued}`],
  ['failed', (s) => String(s.n_samples_failed)],
  ['req/s', (s) => formatRate(s.qps)],
  ['output tok/s', (s) => formatRate(s.tps)],
  ['TTFT p50 ms', (s) => formatMs(s.ttft.percentiles['50.0'])],
  ['TTFT p99 ms', (s) => formatMs(s.ttft.percentiles['99.0'])],
  ['TPOT p50 ms', (s) => formatMs(s.tpot.percentiles['50.0'])],
  ['ITL p50 ms', (s) => formatMs(s.itl.percentiles['50.0'])],
  ['E2E p50 ms', (s) => formatMs(s.latency.percentiles['50.0'])],
  ['E2E p99 ms', (s) => formatMs(s.latency.percentiles['99.0'])],
];

function compareTable(runs: CompareRun[]): string {
  const head = '<tr><th>run</th>' + HEADLINES.map(([t]) => `<th>${escapeHtml(t)}</th>`).join('') + '</tr>';
  const rows = runs
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.label)}</td>` + HEADLINES.map(([, f]) => `<td>${f(r.summary)}</td>`).join('') + '</tr>',
    )
    .join('');
  return `<table class="data">${head}${rows}</table>`;
}

export function renderComparePage(input: ComparePageInput): string {
  const title = input.title ?? `llm-loadgen: ${input.runs.length} runs compared`;
  const plots = comparePlots(input.runs);
  const notes = (input.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`).join('');
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    compareTable(input.runs),
    notes,
    accuracyCompareHtml(
      input.accuracy ?? [],
      input.runs.map((r) => r.label),
    ),
    '<h2>Overlaid</h2>',
    `<div class="charts">${plots.map(figureHtml).join('')}</div>`,
    '<h2>Definitions</h2>',
    definitionsList(),
  ].join('\n');
  return renderPage({ title, body, plots });
}
