/**
 * One timer for many deadlines. The owner keeps its deadlines in order (a shard's in-flight set
 * and a pool's pending connects are Sets in insertion order, and with one timeout per shard or
 * pool, insertion order is deadline order: a FIFO is the min-heap, O(1) per request, nothing
 * allocated). `arm(d)` makes the one timer fire no later than d; when it fires, `onDue(now)` ends
 * whatever is due and returns the next deadline (Infinity: none), and the timer re-arms for it.
 *
 * Precise to about a millisecond: the timer is set for the whole milliseconds left (rounded up),
 * and a timer that fires early (libuv's clock is cached per loop turn, up to ~1 ms behind) finds
 * nothing due and re-arms for the rest. A 1 s polling sweep made a 200 ms timeout fire at ~1,000 ms.
 */
import { monotonicNs } from '../record/clock.js';

export class DeadlineTimer {
  private timer: NodeJS.Timeout | null = null;
  private armedNs = Infinity;
  private readonly fire = (): void => this.onFire();

  constructor(
    private readonly onDue: (nowNs: number) => number,
    /** Let the process exit while only this timer is pending (a pool's connect timer). */
    private readonly unref = false,
  ) {}

  /** Fire no later than `deadlineNs` (absolute monotonic ns). O(1) when an earlier one is armed. */
  arm(deadlineNs: number): void {
    if (deadlineNs >= this.armedNs) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.armedNs = deadlineNs;
    const ms = Math.max(1, Math.ceil((deadlineNs - monotonicNs()) / 1e6));
    this.timer = setTimeout(this.fire, ms);
    if (this.unref) this.timer.unref();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedNs = Infinity;
  }

  private onFire(): void {
    this.timer = null;
    this.armedNs = Infinity;
    const next = this.onDue(monotonicNs());
    if (next < Infinity) this.arm(next);
  }
}
