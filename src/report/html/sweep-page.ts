/** A sweep's page: the throughput–latency curves and a table of the steps. */
import { escapeHtml } from './html-escape.js';
import { figureHtml, renderPage } from './page-shell.js';
import type { PlotSpec } from './plot-spec.js';
import { definitionsList } from './summary-tables.js';
import { sweepLatencyPlot, sweepTtftPlot, type SweepStep } from './sweep-chart.js';

export interface SweepPageInput {
  steps: SweepStep[];
  title?: string;
  /** Lines under the table (the knee, the SLO verdict); escaped. */
  notes?: string[];
}

export function sweepPlots(steps: SweepStep[]): PlotSpec[] {
  return [sweepTtftPlot(steps), sweepLatencyPlot(steps)].filter((p): p is PlotSpec => p !== null);
}

const cell = (v: number | null | undefined, digits: number) =>
  v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits);

export function renderSweepPage(input: SweepPageInput): string {
  const title = input.title ?? `llm-loadgen sweep: ${input.steps.length} steps`;
  const plots = sweepPlots(input.steps);
  const head =
    '<tr><th>step</th><th>offered</th><th>req/s</th><th>tok/s</th><th>TTFT p50 ms</th><th>TTFT p99 ms</th>' +
    '<th>E2E p50 ms</th><th>E2E p99 ms</th><th>errors</th></tr>';
  const rows = input.steps
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.label)}</td><td>${cell(s.offered, 2)}</td><td>${cell(s.achievedQps, 2)}</td>` +
        `<td>${cell(s.tps, 1)}</td><td>${cell(s.ttftP50Ms, 2)}</td><td>${cell(s.ttftP99Ms, 2)}</td>` +
        `<td>${cell(s.e2eP50Ms, 2)}</td><td>${cell(s.e2eP99Ms, 2)}</td><td>${s.errors ?? 0}</td></tr>`,
    )
    .join('');
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<table class="data">${head}${rows}</table>`,
    (input.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`).join(''),
    '<h2>Throughput vs latency</h2>',
    `<div class="charts">${plots.map(figureHtml).join('')}</div>`,
    '<h2>Definitions</h2>',
    definitionsList(),
  ].join('\n');
  return renderPage({ title, body, plots });
}
