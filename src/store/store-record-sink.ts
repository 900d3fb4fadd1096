/**
 * Record batches into the results database while the run goes, so the main process's memory does
 * not grow with the run. Batches from the shards are queued as they arrive (no work on the IPC
 * path but a push) and a timer appends and commits whatever is queued every FLUSH_MS: a commit
 * writes DuckDB's WAL, which survives a SIGKILL of this process (the kernel keeps the written
 * pages), so a kill loses at most the last FLUSH_MS of records plus the batches in flight on the
 * shards' pipes (test/store/store-kill.test.ts kills a writer with SIGKILL and counts).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { RecordBatchList, T, type RecordBatch } from '../record/record-batch.js';
import { RecordChunkWriter } from './record-chunk-writer.js';

/** Append + commit period. A commit every 250 ms cost <1 % of one core at 20k records/s. */
export const FLUSH_MS = 250;

/** Where BenchmarkRun sends the batches it receives. */
export interface RecordSink {
  push(batch: RecordBatch): void;
  /** Records pushed so far. */
  readonly count: number;
  /** The latest record end pushed, or `floor` when none ended later. */
  latestEnd(floor: number): number;
}

export class StoreRecordSink implements RecordSink {
  private queue: RecordBatch[] = [];
  private latest = -Infinity;
  private timer: NodeJS.Timeout | null;
  private failure: Error | null = null;
  /**
   * After a failed append (a full disk, a file-size limit) the batches not committed stay here, in
   * memory as before the store, so the run's summary still has every record (run-store.ts).
   */
  readonly unstored = new RecordBatchList();
  count = 0;
  /** Longest single append + commit, ms (the main loop is busy that long: docs/PERFORMANCE.md). */
  longestFlushMs = 0;
  flushes = 0;

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly writer: RecordChunkWriter,
  ) {
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /** `connection` becomes the sink's: it closes it in close(). */
  static async create(connection: DuckDBConnection, runSeq: number): Promise<StoreRecordSink> {
    const appender = await connection.createAppender('requests');
    return new StoreRecordSink(connection, new RecordChunkWriter(appender, runSeq));
  }

  push(batch: RecordBatch): void {
    if (this.failure !== null) this.unstored.push(batch);
    else this.queue.push(batch);
    this.count += batch.count;
    const times = batch.times;
    for (let k = 0; k < batch.count; k++) {
      const end = times[k * T.Size + T.end];
      if (end > this.latest) this.latest = end;
    }
  }

  latestEnd(floor: number): number {
    return Math.max(floor, this.latest);
  }

  /** Appends and commits what is queued. A failure (disk full) is kept for close() to throw. */
  flush(): void {
    if (this.queue.length === 0 || this.failure !== null) return;
    const batches = this.queue;
    this.queue = [];
    const t0 = performance.now();
    try {
      for (const b of batches) this.writer.append(b);
      this.writer.flush();
    } catch (err) {
      // The failed commit is rolled back whole: its batches are kept in memory with the rest.
      this.failure = err as Error;
      for (const b of batches) this.unstored.push(b);
      return;
    }
    const ms = performance.now() - t0;
    if (ms > this.longestFlushMs) this.longestFlushMs = ms;
    this.flushes++;
  }

  /** Token gaps of the successful streamed records appended so far (meaningful while `error` is null). */
  get itlGaps(): number {
    return this.writer.itlGaps;
  }

  /** Why appending failed (the records since are in `unstored`); null when every batch is stored. */
  get error(): Error | null {
    return this.failure;
  }

  /** Writes the rest and closes the appender; a failure is in `error`, the records in `unstored`. */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.flush();
    try {
      if (this.failure === null) this.writer.close();
    } catch (err) {
      this.failure ??= err as Error;
    }
    try {
      this.connection.closeSync();
    } catch {
      // Closing after a failed commit: nothing more to lose.
    }
  }
}
