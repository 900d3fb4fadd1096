/**
 * Online Poisson arrivals at a target rate: exponential inter-arrival gaps added to an absolute
 * deadline. N shards each running λ/N make one Poisson stream at λ.
 *
 * Timing: one DeadlineWait (deadline-wait.ts: a native timerfd by default, setTimeout plus
 * setImmediate polling without the addon) wakes the schedule at the next deadline, and every
 * request due by then is sent in that turn. The scheduled time in the record is the ideal
 * deadline, so any lateness shows up as schedule lag and client wait.
 */
import { monotonicNs } from '../record/clock.js';
import type { SeededRandom } from '../dataset/seeded-random.js';
import { createDeadlineWait, type DeadlineWait } from './deadline-wait.js';
import type { SendTimer } from './send-timer.js';
import type { IssueTarget, Schedule, ScheduleLimits } from './schedule.js';

export class PoissonSchedule implements Schedule {
  exhausted = false;
  onExhausted: (() => void) | null = null;
  private next = 0;
  private endNs = Infinity;
  private issued = 0;
  private readonly wait: DeadlineWait;
  private readonly meanGapNs: number;

  constructor(
    private readonly target: IssueTarget,
    private readonly limits: ScheduleLimits,
    qps: number,
    private readonly rng: SeededRandom,
    timer: SendTimer = 'auto',
  ) {
    if (!(qps > 0)) throw new RangeError('poisson schedule needs a positive rate');
    this.meanGapNs = 1e9 / qps;
    this.wait = createDeadlineWait(() => this.onTick(), timer);
  }

  start(startNs: number): void {
    this.endNs = startNs + this.limits.durationNs;
    this.next = startNs + this.gap();
    this.arm();
  }

  onRequestFinished(): void {}

  stop(): void {
    this.finish();
  }

  /** Exponential gap with the configured mean (inverse transform; 1 − u avoids log(0)). */
  private gap(): number {
    return -Math.log(1 - this.rng.nextFloat()) * this.meanGapNs;
  }

  private onTick(): void {
    if (this.exhausted) return;
    let now = monotonicNs();
    // Everything due is sent in this turn, including what fell due while sending.
    while (this.next <= now) {
      if (this.issued >= this.limits.maxRequests || this.next > this.endNs) {
        this.finish();
        return;
      }
      this.issued++;
      this.target.issue(this.next);
      this.next += this.gap();
      if (this.next > now) now = monotonicNs();
    }
    this.arm();
  }

  private arm(): void {
    if (this.issued >= this.limits.maxRequests || this.next > this.endNs) {
      this.finish();
      return;
    }
    this.wait.waitUntil(this.next);
  }

  private finish(): void {
    if (this.exhausted) return;
    this.exhausted = true;
    this.wait.close();
    this.onExhausted?.();
  }
}
