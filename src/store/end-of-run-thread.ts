/**
 * A second core for the end of a run (issue 10: summary + report files within 2 s of the last
 * response for 1M records). The main thread reads the run back from DuckDB and builds the summary
 * from the records; this worker thread meanwhile takes the token gaps (ITL, ~15M values at 1M
 * records: ~0.7 s of JS) as the same scan streams past, then report.html's chart pass (~0.4 s)
 * over the read-back batches, which it reads in place (SharedArrayBuffer-backed typed arrays).
 * On a worker failure the caller computes the same things on the main thread.
 */
import { Worker } from 'node:worker_threads';
import type { RecordBatch } from '../record/record-batch.js';
import type { ChartDataOptions, RunChartData } from '../report/html/run-chart-data.js';
import { summarizeSeriesJob, type SeriesJob, type SeriesJobResult } from '../metrics/series-jobs.js';
import { ITL_EXACT_MAX, type StoredItl } from './itl-accumulator.js';

export type ToEndOfRunWorker =
  | { kind: 'itl'; count: number; seq: number; exactMax: number }
  | { kind: 'chunk'; slot: number; child: Float64Array; entries: Uint32Array; rows: number; keep: Uint8Array | null }
  | { kind: 'itl-end' }
  | { kind: 'charts'; batches: RecordBatch[]; options: ChartDataOptions }
  | { kind: 'jobs'; jobs: SeriesJob[] }
  | { kind: 'exit' };

type FromEndOfRunWorker =
  | { kind: 'taken'; slots: number[] }
  | { kind: 'itl'; result: StoredItl }
  | { kind: 'charts'; result: RunChartData }
  | { kind: 'jobs'; result: SeriesJobResult[] }
  | { kind: 'error'; message: string };

/** 32 chunks of 2048 records of 16 chunk times: ~9 MB of chunk times in flight. */
const MAX_CHUNKS_AHEAD = 32;

interface ChunkSlot {
  child: Float64Array;
  entries: Uint32Array;
  keep: Uint8Array;
}

function sharedOf<A extends Float64Array | Uint32Array | Uint8Array>(
  kind: { new (b: SharedArrayBuffer): A; BYTES_PER_ELEMENT: number },
  length: number,
): A {
  return new kind(new SharedArrayBuffer(length * kind.BYTES_PER_ELEMENT));
}

/** Sized for a data chunk of 2048 records of 16 chunk times; grown when one holds more. */
function newSlot(): ChunkSlot {
  return {
    child: sharedOf(Float64Array, 2048 * 16),
    entries: sharedOf(Uint32Array, 2048 * 4),
    keep: sharedOf(Uint8Array, 2048),
  };
}

interface Pending<T> {
  resolve: (v: T) => void;
  reject: (err: Error) => void;
}

function startWorker(): Worker {
  if (import.meta.url.endsWith('.ts')) {
    // Run from source (tests, bench/): the worker registers tsx itself (execArgv's --import is not applied to it).
    const api = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./end-of-run-worker.ts', import.meta.url).href;
    return new Worker(
      `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`,
      { eval: true },
    );
  }
  return new Worker(new URL('./end-of-run-worker.js', import.meta.url));
}

export class EndOfRunThread {
  private readonly worker: Worker;
  private readonly waiting: {
    itl: Pending<StoredItl>[];
    charts: Pending<RunChartData>[];
    jobs: Pending<SeriesJobResult[]>[];
  } = { itl: [], charts: [], jobs: [] };
  private failure: Error | null = null;
  /** Chunks posted and not yet taken by the worker, and who waits for fewer. */
  private chunksAhead = 0;
  /** Shared buffers the chunk times go through (reused: see itlChunk), and those free. */
  private readonly slots: ChunkSlot[] = [];
  private readonly freeSlots: number[] = [];
  private drained: (() => void) | null = null;

  constructor() {
    this.worker = startWorker();
    // Never what keeps the process alive (a run that fails half-way still exits).
    this.worker.unref();
    this.worker.on('message', (m: FromEndOfRunWorker) => {
      if (m.kind === 'taken') {
        this.chunksAhead -= m.slots.length;
        this.freeSlots.push(...m.slots);
        if (this.chunksAhead <= MAX_CHUNKS_AHEAD / 2) this.wake();
      } else if (m.kind === 'error') this.fail(new Error(m.message));
      else if (m.kind === 'itl') this.waiting.itl.shift()?.resolve(m.result);
      else if (m.kind === 'charts') this.waiting.charts.shift()?.resolve(m.result);
      else this.waiting.jobs.shift()?.resolve(m.result);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', () => this.fail(new Error('the end-of-run worker thread exited')));
  }

  private wake(): void {
    const d = this.drained;
    this.drained = null;
    d?.();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake();
    for (const p of [...this.waiting.itl, ...this.waiting.charts, ...this.waiting.jobs]) p.reject(this.failure);
    this.waiting.itl.length = 0;
    this.waiting.charts.length = 0;
    this.waiting.jobs.length = 0;
  }

  private post(m: ToEndOfRunWorker, transfer: ArrayBuffer[] = []): void {
    if (this.failure === null) this.worker.postMessage(m, transfer);
  }

  /** The run's token gaps are about to stream past: `count` of them (the sink's count). */
  beginItl(count: number, seq: number, exactMax = ITL_EXACT_MAX): void {
    this.post({ kind: 'itl', count, seq, exactMax });
  }

  /**
   * One data chunk's chunk times, copied into a shared slot the worker reads and hands back. Not
   * moved (transferred) buffers: the worker allocates little, so its GC rarely ran and the moved
   * buffers (the whole run's chunk_times, ~136 MB at 1M records) stayed in RSS until the end.
   */
  itlChunk(child: Float64Array, entries: Uint32Array, rows: number, keep: Uint8Array | null): void {
    const id = this.freeSlots.pop() ?? this.slots.push(newSlot()) - 1;
    const slot = this.slots[id];
    if (slot.child.length < child.length)
      slot.child = sharedOf(Float64Array, Math.max(child.length, 2 * slot.child.length));
    if (slot.entries.length < entries.length) slot.entries = sharedOf(Uint32Array, entries.length);
    if (keep !== null && slot.keep.length < keep.length) slot.keep = sharedOf(Uint8Array, keep.length);
    slot.child.set(child);
    slot.entries.set(entries);
    if (keep !== null) slot.keep.set(keep);
    const k = keep === null ? null : slot.keep;
    this.post({ kind: 'chunk', slot: id, child: slot.child, entries: slot.entries, rows, keep: k });
    this.chunksAhead++;
  }

  /**
   * Resolves when the worker is at most MAX_CHUNKS_AHEAD chunks behind: the read-back waits there,
   * so chunk times queued for a worker still starting (or slower than DuckDB) do not pile up in
   * memory (the whole run's chunk_times, ~136 MB at 1M records of 16 tokens, if unchecked).
   */
  ready(): Promise<void> | null {
    if (this.chunksAhead < MAX_CHUNKS_AHEAD || this.failure !== null) return null;
    return new Promise((resolve) => (this.drained = resolve));
  }

  endItl(): Promise<StoredItl> {
    return this.request('itl', { kind: 'itl-end' });
  }

  /** report.html's chart data (ITL from the gaps above); `batches` must be backed by SharedArrayBuffers. */
  charts(batches: readonly RecordBatch[], options: ChartDataOptions): Promise<RunChartData> {
    const shared = batches.map((b) => ({ ...b, texts: new Int32Array(0) }));
    return this.request('charts', { kind: 'charts', batches: shared, options });
  }

  /**
   * The summary's sorts (series-jobs.ts) on both cores, largest first, each thread taking the next
   * job when done with its last (a split by size fixed in advance left this thread waiting ~0.2 s
   * for the worker's half: its share of jobs ran slower there). Each job sorts its own array
   * (SharedArrayBuffer-backed). A worker that failed before takes none; one that fails while
   * sorting leaves its arrays half done: that is an error, not a fallback.
   */
  async runJobs(jobs: SeriesJob[]): Promise<SeriesJobResult[]> {
    const results: SeriesJobResult[] = new Array<SeriesJobResult>(jobs.length);
    const queue = jobs.map((_, i) => i).sort((a, b) => jobs[b].values.length - jobs[a].values.length);
    const shareable = (i: number) => jobs[i].values.buffer instanceof SharedArrayBuffer;
    let away: Promise<void> = Promise.resolve();
    if (this.failure === null) {
      const next = (): Promise<void> => {
        const k = queue.findIndex(shareable);
        if (k < 0) return Promise.resolve();
        const i = queue.splice(k, 1)[0];
        return this.request('jobs', { kind: 'jobs', jobs: [jobs[i]] }).then((done) => {
          results[i] = done[0];
          return next();
        });
      };
      away = next();
    }
    let failed: unknown = null;
    away.catch((err: unknown) => (failed = err));
    while (queue.length > 0 && failed === null) {
      const i = queue.shift()!;
      results[i] = summarizeSeriesJob(jobs[i]);
      // Lets the worker's answer in, so it is handed its next job now rather than at the end.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await away;
    return results;
  }

  /** No more requests: the worker ends once it has answered those made. */
  close(): void {
    this.post({ kind: 'exit' });
  }

  private request<K extends 'itl' | 'charts' | 'jobs'>(
    kind: K,
    m: ToEndOfRunWorker,
  ): Promise<K extends 'itl' ? StoredItl : K extends 'charts' ? RunChartData : SeriesJobResult[]> {
    type R = K extends 'itl' ? StoredItl : K extends 'charts' ? RunChartData : SeriesJobResult[];
    if (this.failure !== null) return Promise.reject(this.failure);
    const p = new Promise<R>((resolve, reject) => {
      (this.waiting[kind] as Pending<R>[]).push({ resolve, reject });
    });
    // A failure nobody awaited yet must not crash the process as an unhandled rejection.
    p.catch(() => undefined);
    this.post(m);
    return p;
  }
}
