/**
 * The bytes of partial responses a shard holds (SSE line carries, pending event data, JSON bodies
 * being collected), and their bound. One per shard process, shared by every request: each cap per
 * request (--max-event-bytes, --max-response-bytes) bounds one answer, this bounds their sum, so
 * that N concurrent hostile answers cannot take N × the cap (issue 14: 16 concurrent 50 MB bodies
 * held 912 MB).
 */
export class BufferBudget {
  /** Bytes currently held (buffer capacities, not lengths: what the process actually allocated). */
  held = 0;
  /** The peak of `held` (tests and diagnostics). */
  peak = 0;

  constructor(readonly limit: number) {}

  /** Reserve n more bytes; false (nothing reserved) when that would pass the limit. */
  take(n: number): boolean {
    if (this.held + n > this.limit) return false;
    this.held += n;
    if (this.held > this.peak) this.peak = this.held;
    return true;
  }

  give(n: number): void {
    this.held -= n;
  }
}

/**
 * The shard-wide budget for a per-response cap: eight maximal answers at once (256 MiB at the
 * default 32 MiB cap). Real answers are a few KB to a few MB, so it is never reached by them;
 * it only decides which of many oversized answers fail first.
 */
export function defaultBufferBudget(maxResponseBytes: number): number {
  return 8 * maxResponseBytes;
}
