/**
 * One benchmark run's side of the results store, for run/run-benchmark.ts: opens the database and
 * adds the run before any load, takes the shards' batches while it goes (StoreRecordSink), and at
 * the end computes the summary from what was stored and writes records.jsonl and summary.csv.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchmarkSettings } from '../config/benchmark-settings.js';
import { BadInputError } from '../errors.js';
import type { ResultSummaryInput } from '../metrics/result-summary.js';
import { buildResultSummary } from '../metrics/result-summary.js';
import { versionInfo } from '../metrics/version-info.js';
import { RecordBatchList, unpackRecords } from '../record/record-batch.js';
import { recordToJsonLine, writeRecordsJsonl } from '../report/records-jsonl.js';
import type { TokenizerCounts } from '../metrics/token-counts.js';
import { REPORT_FILES, writeAtomically, writeTextAtomically } from '../report/report-files.js';
import { ResultsStore, isCorruptDatabase, type RunMeta, type StoredRunState } from './results-store.js';
import { StoreRecordSink } from './store-record-sink.js';
import { readStoredBatches } from './stored-records.js';
import { StoredRecordList } from './stored-record-list.js';
import { readStoredRecords, summarizeStoredRun, type StoredResultSummary } from './store-summary.js';
import { summarizeStoredRunBounded, takesBoundedEnd, type BoundedStoredRun } from './bounded-summary.js';
import { formatSummaryCsv } from './summary-csv.js';

/** A DuckDB error's first line: "IO Error: Could not write file …: File too large". */
function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}

/** `--records auto` writes records.jsonl up to this many records (~1 s of writing). */
export const AUTO_RECORDS_MAX = 100_000;

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The commit llm-loadgen runs from, when it runs from a git checkout (null otherwise). */
export function toolGitSha(): string | null {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 2000 });
  return r.status === 0 && /^[0-9a-f]{40}$/.test(r.stdout.trim()) ? r.stdout.trim() : null;
}

/** `k=v` strings (validated by the option's schema) as a map; a later key wins. */
export function parseLabels(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** 8 hex digits: short to type, 4 billion to choose from (checked free in the database). */
async function newRunId(store: ResultsStore): Promise<string> {
  for (;;) {
    const id = randomBytes(4).toString('hex');
    if (await store.idIsFree(id)) return id;
  }
}

export interface RunStoreOptions {
  settings: BenchmarkSettings;
  reportDir: string;
  endpointNames: string[];
  /** config.yaml's text (secret-free). */
  configYaml: string;
  shards: number;
  /** Notices (the fallback database). */
  err: NodeJS.WritableStream;
}

export class RunStore {
  private started: Promise<void> = Promise.resolve();

  private constructor(
    readonly store: ResultsStore,
    readonly seq: number,
    readonly meta: RunMeta,
    readonly sink: StoreRecordSink,
    private readonly recordsMode: 'auto' | 'jsonl' | 'none',
    /** report.html's scatter seed (--seed), so the charts are made beside the summary with the page's options. */
    private readonly chartSeed: number,
    /** The end walks the records (--multi-turn's conversation summary): never bounded. */
    private readonly needsRecords: boolean,
  ) {}

  get id(): string {
    return this.meta.id;
  }

  static async open(o: RunStoreOptions): Promise<RunStore> {
    const s = o.settings;
    let store: ResultsStore;
    try {
      store = await ResultsStore.open(s.resultsDb);
    } catch (err) {
      // Another llm-loadgen holds the shared file (DuckDB: one writer per file), or the file is
      // damaged: this run gets its own, and says so (a damaged file must not cost the run too).
      const damaged = isCorruptDatabase(err);
      if (!damaged && (!(err instanceof BadInputError) || !/lock/i.test(err.message))) throw err;
      const own = path.join(o.reportDir, REPORT_FILES.database);
      o.err.write(
        damaged
          ? `warning: ${(err as Error).message}\nThis run is stored in ${own}.\n`
          : `note: ${s.resultsDb} is in use by another llm-loadgen; this run is stored in ${own}\n`,
      );
      store = await ResultsStore.open(own);
    }
    const meta: RunMeta = {
      id: await newRunId(store),
      name: s.name ?? null,
      labels: parseLabels(s.labels),
      startedAt: new Date(),
      reportDir: path.resolve(o.reportDir),
      endpoints: o.endpointNames,
      model: s.model,
      mode: s.mode,
      loadPattern: s.mode === 'offline' ? 'offline' : s.loadPattern,
      streaming: s.streaming,
      targetQps: s.mode === 'online' && s.loadPattern === 'poisson' ? (s.targetQps ?? null) : null,
      shards: o.shards,
      configYaml: o.configYaml,
      toolVersion: toolVersion(),
      gitSha: toolGitSha(),
      host: os.hostname(),
    };
    const seq = await store.createRun(meta);
    // The summary's version and git sha, read now (a git spawn: up to 1 s on a loaded host) rather than after the last response.
    versionInfo();
    const sink = await StoreRecordSink.create(await store.connect(), seq);
    return new RunStore(store, seq, meta, sink, s.records, s.schedulerRandomSeed, s.multiTurn);
  }

  /** The schedule's start: stored at once, so a run killed from here on can be summarized. */
  markStarted(startNs: number): void {
    this.started = this.store.markStarted(this.seq, startNs).catch(() => undefined);
  }

  /**
   * Why the results database could not take the run (a full disk, a file-size limit), in words;
   * null when it has every record. The summary and report files are then made from memory.
   */
  storeError: string | null = null;
  /** The records when the store failed: those it committed, read back, and those it did not. */
  private fallback: RecordBatchList | null = null;

  /** Closes the sink (everything appended and committed), then the summary from the store. */
  /** Ends the appends (the last batches are committed); idempotent. Everything that reads the run's records waits for it. */
  finishWriting(): Promise<void> {
    this.writingDone ??= (async () => {
      this.sink.close();
      await this.started;
    })();
    return this.writingDone;
  }
  private writingDone: Promise<void> | null = null;

  async summarize(input: Omit<ResultSummaryInput, 'records'>): Promise<StoredResultSummary> {
    await this.finishWriting();
    if (this.sink.error === null) {
      // A long run's end without its records in memory (bounded-summary.ts), unless they were read back already.
      const bounded = { needsRecords: this.needsRecords };
      if (this.readOnce === null && takesBoundedEnd(this.sink.count, input.tokens, bounded)) {
        const end = await summarizeStoredRunBounded(this.store.connection, this.seq, input, this.sink.itlGaps);
        this.bounded = end.run;
        return end.summary;
      }
      const records = await this.storedRecords();
      return summarizeStoredRun(this.store.connection, this.seq, input, records, this.sink.itlGaps, {
        startNs: input.startNs,
        endNs: input.endNs,
        seed: this.chartSeed,
      });
    }
    this.storeError = firstLine(this.sink.error);
    const records = new RecordBatchList();
    try {
      for await (const b of readStoredBatches(this.store.connection, this.seq, true)) records.push(b);
    } catch {
      // Nothing readable: the unstored records are all there is.
    }
    for (const b of this.sink.unstored.batchList()) records.push(b);
    this.fallback = records;
    return buildResultSummary({ ...input, records });
  }

  async finish(state: Exclude<StoredRunState, 'running'>, endNs: number, summary: StoredResultSummary): Promise<void> {
    try {
      await this.store.finishRun(this.seq, { state, endNs, summary });
    } catch (err) {
      this.storeError ??= firstLine(err);
    }
  }

  /**
   * The records for the prompt counts, the conversation summary and report.html's charts: read
   * back from the store once, without chunk times (the summary adds report.html's ITL chart to
   * them: stored-record-list.ts), or the records in memory when the store failed.
   */
  async chartRecords(): Promise<RecordBatchList | StoredRecordList | BoundedStoredRun> {
    await this.finishWriting();
    if (this.fallback !== null) return this.fallback;
    if (this.bounded !== null) return this.bounded;
    // Not kept when the appends failed: summarize() then makes the fallback (stored + unstored).
    if (this.sink.error !== null) return readStoredRecords(this.store.connection, this.seq);
    return this.storedRecords();
  }

  private storedRecords(): Promise<StoredRecordList> {
    // With the sink's gap count: ITL on the same scan, in a worker thread (store-summary.ts).
    this.readOnce ??= readStoredRecords(this.store.connection, this.seq, { itlGaps: this.sink.itlGaps });
    return this.readOnce;
  }
  private readOnce: Promise<StoredRecordList> | null = null;
  /** The run for report.html when its end was bounded (no records held). */
  private bounded: BoundedStoredRun | null = null;

  /** records.jsonl: from the store, or from memory when the store failed. */
  writeRecordsJsonl(
    file: string,
    startNs: number,
    endpointNames: readonly string[],
    tokens?: TokenizerCounts,
  ): Promise<void> {
    if (this.fallback !== null) return writeRecordsJsonl(file, this.fallback, startNs, endpointNames, tokens);
    return writeStoredRecordsJsonl(this.store, this.seq, file, startNs, endpointNames, tokens);
  }

  /** Whether records.jsonl is written for a run of `count` records. */
  wantsRecordsJsonl(count: number): boolean {
    return this.recordsMode === 'jsonl' || (this.recordsMode === 'auto' && count <= AUTO_RECORDS_MAX);
  }

  close(): void {
    try {
      this.store.close();
    } catch {
      // A database that failed to write may fail to close too: the error was reported.
    }
  }
}

/** records.jsonl of a stored run, streamed out of the database batch by batch (atomic). */
export async function writeStoredRecordsJsonl(
  store: ResultsStore,
  seq: number,
  file: string,
  startNs: number,
  endpointNames: readonly string[],
  tokens?: TokenizerCounts,
): Promise<void> {
  await writeAtomically(file, async (temp) => {
    const { createWriteStream } = await import('node:fs');
    const out = createWriteStream(temp, { encoding: 'utf8' });
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => undefined);
    for await (const batch of readStoredBatches(store.connection, seq, true)) {
      let text = '';
      for (const r of unpackRecords(batch)) text += recordToJsonLine(r, startNs, endpointNames, tokens) + '\n';
      if (!out.write(text)) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
    }
    await Promise.race([new Promise<void>((r) => out.end(() => r())), failed]);
  });
}

/** summary.csv of one run. */
export function writeSummaryCsv(dir: string, meta: RunMeta, summary: StoredResultSummary): Promise<void> {
  return writeTextAtomically(path.join(dir, REPORT_FILES.summaryCsv), formatSummaryCsv([[meta, summary]]));
}
