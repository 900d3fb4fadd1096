/**
 * Fixed concurrency: C requests in flight; each one that ends is replaced at once. The
 * replacement's scheduled time is the moment its slot freed, so client wait is pure client delay.
 */
import { monotonicNs } from '../record/clock.js';
import type { IssueTarget, Schedule, ScheduleLimits } from './schedule.js';

export class ConcurrencySchedule implements Schedule {
  exhausted = false;
  onExhausted: (() => void) | null = null;
  private issued = 0;
  private endNs = Infinity;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly target: IssueTarget,
    private readonly limits: ScheduleLimits,
    private readonly concurrency: number,
  ) {
    if (!(concurrency >= 0) || !Number.isInteger(concurrency))
      throw new RangeError('concurrency must be a non-negative integer');
  }

  start(startNs: number): void {
    this.endNs = startNs + this.limits.durationNs;
    if (Number.isFinite(this.limits.durationNs)) {
      this.timer = setTimeout(() => this.stop(), Math.max(0, (this.endNs - monotonicNs()) / 1e6));
    }
    const n = Math.min(this.concurrency, this.limits.maxRequests);
    for (let i = 0; i < n && !this.exhausted; i++) {
      this.issued++;
      this.target.issue(startNs);
    }
    this.checkDone();
  }

  onRequestFinished(): void {
    if (this.exhausted) return;
    const now = monotonicNs();
    if (now >= this.endNs) {
      this.stop();
      return;
    }
    this.issued++;
    this.target.issue(now);
    this.checkDone();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.exhausted) return;
    this.exhausted = true;
    this.onExhausted?.();
  }

  private checkDone(): void {
    if (this.issued >= this.limits.maxRequests || this.concurrency === 0) this.stop();
  }
}
