/**
 * Releases tokens on absolute deadlines: token k is due at `firstAtMs + k * intervalMs`
 * (performance.now() time). Each timer is computed from the clock, so late timers do not add up
 * (chained relative timeouts would drift by every timer's lateness).
 */

export interface TokenPacerOptions {
  /** Number of tokens to release. */
  count: number;
  /** performance.now() time at which token 0 is due. */
  firstAtMs: number;
  /** Gap between token deadlines, ms. 0: everything goes at firstAtMs, with no per-token timers. */
  intervalMs: number;
  /** At most this many due tokens per emit() call, so a huge burst is written in bounded pieces. */
  maxBatch: number;
  /**
   * Release tokens [from, to), all due now. Return false when the transport is backed up: the
   * pacer then waits for resume() (tokens that fall due meanwhile go out together after it).
   */
  emit(from: number, to: number): boolean;
}

export class TokenPacer {
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private stopped = false;

  constructor(private readonly options: TokenPacerOptions) {}

  /** Releases whatever is due now (synchronously) and arms a timer for the rest. */
  start(): void {
    this.pump();
  }

  /** Continue after emit() returned false (call on 'drain'). */
  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    this.pump();
  }

  /** Stop for good: no more emit() calls, no timer left behind. Safe to call repeatedly. */
  cancel(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get done(): boolean {
    return this.next >= this.options.count;
  }

  private dueAt(index: number): number {
    return this.options.firstAtMs + index * this.options.intervalMs;
  }

  private readonly pump = (): void => {
    this.timer = undefined;
    const { count, maxBatch } = this.options;
    // Each pass releases >= 1 token or returns, so the loop ends within count passes.
    while (!this.stopped && !this.paused && this.next < count) {
      const now = performance.now();
      const limit = Math.min(count, this.next + maxBatch);
      let to = this.next;
      while (to < limit && this.dueAt(to) <= now) to++;
      if (to === this.next) {
        // setTimeout may fire a little early (libuv caches loop time): pump re-checks the clock
        // and re-arms, so a token is never released before its deadline.
        this.timer = setTimeout(this.pump, Math.ceil(this.dueAt(this.next) - now));
        return;
      }
      const from = this.next;
      this.next = to;
      if (!this.options.emit(from, to)) this.paused = true;
    }
  };
}
