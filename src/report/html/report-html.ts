/** Writes a run's report.html (atomically, like every report file): chart data from the records, then the page. */
import type { ResultSummary } from '../../metrics/result-summary.js';
import { monotonicNs } from '../../record/clock.js';
import { writeTextAtomically } from '../report-files.js';
import { extractRunChartData, type ChartRecord } from './run-chart-data.js';
import { renderRunPage, type RunPageInput } from './run-page.js';
import type { RunContext } from './summary-tables.js';

export interface RunReportHtmlInput {
  summary: ResultSummary;
  /** Without startedAt, the start is dated from startNs on this process's monotonic clock (a live run). */
  context: RunContext;
  /** Every record (iterated twice). */
  records: Iterable<ChartRecord>;
  startNs: number;
  endNs: number;
  /** Seed of the scatter's sample. */
  seed: number;
  configYaml: string;
  shards?: number;
  accuracy?: RunPageInput['accuracy'];
}

export function runReportHtml(input: RunReportHtmlInput): string {
  const charts = extractRunChartData(input.records, { startNs: input.startNs, endNs: input.endNs, seed: input.seed });
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

export function writeRunReportHtml(file: string, input: RunReportHtmlInput): Promise<void> {
  return writeTextAtomically(file, runReportHtml(input));
}
