/**
 * report.html of one run: the run at a glance, each latency metric as histogram and CDF, the run
 * over time, TTFT against time, errors, the client-health block, the config and the definitions.
 */
import type { ResultSummary } from '../../metrics/result-summary.js';
import type { AccuracyResult } from '../../accuracy/accuracy-result.js';
import { accuracySectionHtml } from './accuracy-section.js';
import { cdfPlot } from './cdf-chart.js';
import { histogramPlot } from './histogram-chart.js';
import { escapeHtml } from './html-escape.js';
import { METRIC_KEYS, METRIC_LABELS } from './metric-names.js';
import { figureHtml, renderPage } from './page-shell.js';
import type { PlotSpec } from './plot-spec.js';
import type { RunChartData } from './run-chart-data.js';
import { ttftScatterPlot } from './scatter-chart.js';
import {
  clientHealthTable,
  definitionsList,
  errorsTable,
  latencyTable,
  runMeta,
  warningsList,
  type RunContext,
} from './summary-tables.js';
import { errorsPlot, inFlightPlot, throughputPlot, tokensPlot } from './timeline-chart.js';

export interface RunPageInput {
  summary: ResultSummary;
  context: RunContext;
  charts: RunChartData;
  /** config.yaml's text (secrets are already placeholders). */
  configYaml: string;
  /** Shard processes, for the CPU share. */
  shards?: number;
  title?: string;
  /** The accuracy phase's results (accuracy-section.ts). */
  accuracy?: readonly AccuracyResult[];
}

/** Every chart of a run page, in page order (null: nothing to draw, e.g. no TTFT without streaming). */
export function runPlots(charts: RunChartData): { section: string; plots: PlotSpec[] }[] {
  const latency: PlotSpec[] = [];
  for (const key of METRIC_KEYS) {
    const d = charts.distributions[key];
    const h = histogramPlot(d);
    const c = cdfPlot(key, [{ label: METRIC_LABELS[key], distribution: d }]);
    if (h !== null) latency.push(h);
    if (c !== null) latency.push(c);
  }
  const scatter = ttftScatterPlot(charts.ttftScatter);
  const tl = charts.timeline;
  return [
    { section: 'Latency distributions', plots: latency },
    {
      section: 'Over time',
      plots: [throughputPlot(tl), tokensPlot(tl), inFlightPlot(tl), errorsPlot(tl), ...(scatter ? [scatter] : [])],
    },
  ];
}

function reductionNote(charts: RunChartData): string {
  const s = charts.ttftScatter;
  const scatter =
    s.tS.length < s.total
      ? `the TTFT scatter shows a seeded uniform sample of ${s.tS.length} of ${s.total} requests (seed ${charts.reduction.seed})`
      : 'the TTFT scatter shows every request';
  return (
    `<p class="muted">Charts are drawn from all ${charts.records} records: each latency metric's values are binned ` +
    `(${charts.reduction.fineBins} log-spaced bins between its smallest and largest value; the histogram merges them into bars, ` +
    `the CDF reads their edges), the timeline is binned every ${charts.timeline.binS} s, and ${escapeHtml(scatter)}. ` +
    'Tables are exact (the summary, from every record).</p>'
  );
}

export function renderRunPage(input: RunPageInput): string {
  const { summary, context, charts } = input;
  const sections = runPlots(charts);
  const title = input.title ?? `llm-loadgen: ${context.model}, ${context.loadPattern}`;
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    runMeta(summary, context),
    warningsList(summary.warnings),
    accuracySectionHtml(input.accuracy ?? []),
    '<h2>Latency</h2>',
    latencyTable(summary),
    '<section id="charts">',
    ...sections.map(
      (s) => `<h2>${escapeHtml(s.section)}</h2><div class="charts">${s.plots.map(figureHtml).join('')}</div>`,
    ),
    reductionNote(charts),
    '</section>',
    '<h2>Errors</h2>',
    errorsTable(summary),
    '<h2>Client health</h2>',
    '<p class="muted">Whether the numbers measure the server: a client that sent late, queued requests or ran out of CPU shows here.</p>',
    clientHealthTable(summary, input.shards),
    '<h2>Config</h2>',
    `<pre class="config">${escapeHtml(input.configYaml)}</pre>`,
    '<h2>Definitions</h2>',
    definitionsList(),
  ].join('\n');
  return renderPage({ title, body, plots: sections.flatMap((s) => s.plots) });
}
