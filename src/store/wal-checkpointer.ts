/**
 * DuckDB's checkpoints off the main thread. DuckDB checkpoints inside the commit that takes the
 * WAL past `checkpoint_threshold`: for the record sink that is the appender's flushSync, on the
 * main thread, and a checkpoint writes the WAL's rows into the database file and syncs it —
 * 0.3–0.7 s a checkpoint at 64 MB of WAL on a quiet disk, at 1M, 3M and 10M stored records alike,
 * and up to 14 s on a loaded host (docs/PERFORMANCE.md, "Session 7"). So the results database's
 * own threshold is a backstop (results-store.ts) and the sink starts a `CHECKPOINT` itself, on a
 * connection of its own, when the WAL passes WAL_CHECKPOINT_BYTES: node-api runs a statement on
 * a libuv worker thread, so the checkpoint takes none of the main thread's time.
 *
 * A commit while a checkpoint runs waits for it (DuckDB's checkpoint lock: measured, a commit
 * started 20,000 records after the checkpoint took the checkpoint's whole 0.33 s), so the sink
 * does not commit while `running`: its batches wait in its queue, and the first flush after the
 * checkpoint commits them. A SIGKILL then loses at most the checkpoint's time plus FLUSH_MS of
 * records — as before, when the main thread was in the checkpoint that long.
 */
import { statSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';

/** WAL size from which the sink checkpoints: DuckDB's threshold before (64 MB), now off the main thread. */
export const WAL_CHECKPOINT_BYTES = 64 * 2 ** 20;

export class WalCheckpointer {
  /** True from start() until the CHECKPOINT statement has ended. */
  running = false;
  checkpoints = 0;
  /** Longest checkpoint, ms (on a DuckDB worker thread; the main thread goes on meanwhile). */
  longestMs = 0;
  /** The last failure (another write transaction in progress: retried at the next commit). */
  lastError: Error | null = null;
  private closed = false;

  constructor(
    /** Owned: closed by close(), or when the checkpoint in flight ends. */
    private readonly connection: DuckDBConnection,
    /** DuckDB's write-ahead log, `<database file>.wal`. */
    private readonly walFile: string,
    private readonly limitBytes = WAL_CHECKPOINT_BYTES,
  ) {}

  /** Called when a checkpoint has ended (the sink commits what waited for it). */
  onEnd: (() => void) | null = null;

  /** The WAL's size in bytes (0 when there is none: right after a checkpoint). */
  walBytes(): number {
    try {
      return statSync(this.walFile).size;
    } catch {
      return 0;
    }
  }

  /** Starts a checkpoint when the WAL has passed the limit and none is running; true when it did. */
  maybeStart(): boolean {
    if (this.running || this.closed || this.walBytes() < this.limitBytes) return false;
    this.running = true;
    const t0 = performance.now();
    this.connection.run('CHECKPOINT').then(
      () => {
        const ms = performance.now() - t0;
        if (ms > this.longestMs) this.longestMs = ms;
        this.checkpoints++;
        this.ended();
      },
      (err: unknown) => {
        this.lastError = err as Error;
        this.ended();
      },
    );
    return true;
  }

  private ended(): void {
    this.running = false;
    if (this.closed) this.closeConnection();
    else this.onEnd?.();
  }

  /** No more checkpoints; the connection closes now, or when the one in flight ends. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.running) this.closeConnection();
  }

  private closeConnection(): void {
    try {
      this.connection.closeSync();
    } catch {
      // Already gone with the database: nothing to release.
    }
  }
}
