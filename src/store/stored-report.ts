/**
 * `llm-loadgen report RUN`: every report file of a stored run written again from the database —
 * the summary recomputed from the stored records (a run that never finished, killed mid-run, gets
 * state `incomplete` and the summary of what was stored), report.txt, summary.csv, config.yaml,
 * report.html (its charts from the records read back once for the summary), and records.jsonl
 * when asked.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunMode, RunState, SummaryContext } from '../metrics/result-summary.js';
import { REPORT_FILES, summaryJson, writeTextAtomically } from '../report/report-files.js';
import { formatReportText } from '../report/report-text.js';
import type { LoadPatternName } from '../schedule/schedule.js';
import type { ResultsStore, StoredRun } from './results-store.js';
import { writeStoredRecordsJsonl, writeSummaryCsv } from './run-store.js';
import { itlMethodNote, readStoredRecords, summarizeStoredRun, type StoredResultSummary } from './store-summary.js';
import type { StoredRecordList } from './stored-record-list.js';
import { summarizeStoredRunBounded, takesBoundedEnd, type BoundedStoredRun } from './bounded-summary.js';
import { writeAccuracyReportHtml } from '../report/html/accuracy-page.js';
import { writeRunReportHtml } from '../report/html/report-html.js';
import { readStoredAccuracy, writeStoredAccuracyFiles, type StoredAccuracy } from './accuracy-store.js';
import { formatAccuracyText } from '../report/accuracy-text.js';

export interface StoredRunData {
  run: StoredRun;
  summary: StoredResultSummary;
  /** report.txt's text. */
  text: string;
  /** The accuracy phase's results (none when it had none). */
  accuracy: StoredAccuracy;
  /** The records read back for the summary (or the bounded end's run), kept for report.html when asked (`keepRecords`). */
  records: StoredRecordList | BoundedStoredRun | null;
  /** The run's window on its monotonic clock (a killed run's ends at its last stored record). */
  startNs: number;
  endNs: number;
}

/** The run's summary recomputed from its stored records; a run still `running` in the table is `incomplete`. */
export async function storedRunData(
  store: ResultsStore,
  run: StoredRun,
  options: { keepRecords?: boolean; boundedMin?: number } = {},
): Promise<StoredRunData> {
  const killed = run.state === 'running';
  const state: RunState = run.state === 'running' ? 'incomplete' : run.state;
  const latest = await store.latestRecordEnd(run.seq);
  const startNs = run.startNs ?? latest ?? 0;
  const endNs = killed || run.endNs === null ? Math.max(startNs, latest ?? startNs) : run.endNs;
  const loadPattern = run.loadPattern === null ? undefined : (run.loadPattern as LoadPatternName);
  const input: SummaryContext = {
    state,
    startNs,
    endNs,
    mode: run.mode as RunMode,
    loadPattern,
    offeredQps: run.targetQps ?? undefined,
    portExhaustionEvents: run.portExhaustionEvents ?? undefined,
    clientCpuNs: run.clientCpuNs ?? undefined,
    shards: run.shards,
  };
  // A long run the way its own end went: without its records in memory (bounded-summary.ts).
  let records: StoredRecordList | BoundedStoredRun;
  let summary: StoredResultSummary;
  if (takesBoundedEnd(await store.recordCount(run.seq), input.tokens, options)) {
    ({ summary, run: records } = await summarizeStoredRunBounded(store.connection, run.seq, input));
  } else {
    records = await readStoredRecords(store.connection, run.seq);
    summary = await summarizeStoredRun(store.connection, run.seq, input, records);
  }
  if (killed) {
    await store.finishRun(run.seq, { state: 'incomplete', endNs, summary });
    run = { ...run, state: 'incomplete', endNs, summary };
  }
  const note = itlMethodNote(summary);
  const accuracy = await readStoredAccuracy(store.connection, run.seq);
  const performanceText =
    formatReportText(summary, {
      model: run.model,
      endpoints: run.endpoints,
      mode: run.mode,
      loadPattern: run.loadPattern ?? '',
      streaming: run.streaming,
      reportDir: run.reportDir ?? undefined,
    }) + (note !== null ? `${note}\n` : '');
  // --mode acc had no performance phase: its report.txt is the accuracy section alone.
  const text = (accuracy.accuracyOnly ? '' : performanceText) + formatAccuracyText(accuracy.results);
  return { run, summary, text, accuracy, records: options.keepRecords === true ? records : null, startNs, endNs };
}

/** Writes the run's report files into `dir` (default: its own report directory); returns the names written. */
export async function writeStoredReport(
  store: ResultsStore,
  data: StoredRunData,
  dir: string,
  withRecords: boolean,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const { run, summary, text, accuracy } = data;
  const written: string[] = [];
  const write = async (name: string, f: (file: string) => Promise<void>) => {
    await f(path.join(dir, name));
    written.push(name);
  };
  if (!accuracy.accuracyOnly) {
    await write(REPORT_FILES.summary, (file) => writeTextAtomically(file, summaryJson(summary)));
    await write(REPORT_FILES.summaryCsv, () => writeSummaryCsv(dir, run, summary));
  }
  await write(REPORT_FILES.text, (file) => writeTextAtomically(file, text));
  if (accuracy.results.length > 0)
    written.push(...(await writeStoredAccuracyFiles(store.connection, run.seq, accuracy.results, dir)));
  if (run.configYaml !== '') await write(REPORT_FILES.config, (file) => writeTextAtomically(file, run.configYaml));
  if (accuracy.accuracyOnly && accuracy.results.length > 0) {
    await write(REPORT_FILES.html, (file) =>
      writeAccuracyReportHtml(file, {
        model: run.model,
        endpoints: run.endpoints,
        state: run.state,
        durationS: (data.endNs - data.startNs) / 1e9,
        startedAt: run.startedAt.toISOString(),
        reportDir: run.reportDir ?? dir,
        accuracy: accuracy.results,
        configYaml: run.configYaml,
      }),
    );
  }
  if (data.records !== null && !accuracy.accuracyOnly) {
    const records = data.records;
    const seed = Number(summary.run_config?.scheduler_random_seed ?? 0);
    await write(REPORT_FILES.html, (file) =>
      writeRunReportHtml(file, {
        summary,
        context: {
          model: run.model,
          endpoints: run.endpoints,
          mode: run.mode,
          loadPattern: run.loadPattern ?? '',
          streaming: run.streaming,
          startedAt: run.startedAt.toISOString(),
          reportDir: run.reportDir ?? undefined,
        },
        records,
        startNs: data.startNs,
        endNs: data.endNs,
        seed: Number.isFinite(seed) ? seed : 0,
        configYaml: run.configYaml,
        shards: run.shards,
        accuracy: accuracy.results,
      }),
    );
  }
  if (withRecords && run.startNs !== null) {
    const startNs = run.startNs;
    await write(REPORT_FILES.records, (file) => writeStoredRecordsJsonl(store, run.seq, file, startNs, run.endpoints));
  }
  return written;
}
