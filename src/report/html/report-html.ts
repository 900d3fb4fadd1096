/** Writes a run's report.html (atomically, like every report file): chart data from the records, then the page. */
import type { ResultSummary } from '../../metrics/result-summary.js';
import { monotonicNs } from '../../record/clock.js';
import { writeTextAtomically } from '../report-files.js';
import { extractRunChartData, type ChartRecords, type RunChartData } from './run-chart-data.js';
import { renderRunPage, type RunPageInput } from './run-page.js';
import type { RunContext } from './summary-tables.js';

export interface RunReportHtmlInput {
  summary: ResultSummary;
  /** Without startedAt, the start is dated from startNs on this process's monotonic clock (a live run). */
  context: RunContext;
  /** Every record (iterated twice). */
  records: ChartRecords;
  startNs: number;
  endNs: number;
  /** Seed of the scatter's sample. */
  seed: number;
  configYaml: string;
  shards?: number;
  accuracy?: RunPageInput['accuracy'];
}

function chartOptions(input: RunReportHtmlInput) {
  return { startNs: input.startNs, endNs: input.endNs, seed: input.seed };
}

/** `charts`: the chart data when already made (by the results store's worker thread) for these records and options. */
export function runReportHtml(
  input: RunReportHtmlInput,
  charts: RunChartData = extractRunChartData(input.records, chartOptions(input)),
): string {
  return renderRunPage({
    summary: input.summary,
    context: {
      ...input.context,
      startedAt: input.context.startedAt ?? new Date(Date.now() - (monotonicNs() - input.startNs) / 1e6).toISOString(),
    },
    charts,
    configYaml: input.configYaml,
    shards: input.shards,
    accuracy: input.accuracy,
  });
}

export async function writeRunReportHtml(file: string, input: RunReportHtmlInput): Promise<void> {
  // Made beside the summary on a second core when the records came from the store; here when it did not or failed.
  const made = await input.records.precomputedCharts?.(chartOptions(input))?.catch(() => null);
  await writeTextAtomically(file, runReportHtml(input, made ?? undefined));
}
