/**
 * Online arrivals at a target rate: the gaps of an arrival process (arrival-shape.ts: Poisson,
 * gamma, constant, ramped, or a trace) added to an absolute deadline. Each shard issues its share of
 * the run's one sequence (rate-arrivals.ts says why: only Poisson streams superpose).
 *
 * Timing: one DeadlineWait (deadline-wait.ts: a native timerfd by default, setTimeout plus
 * setImmediate polling without the addon) wakes the schedule at the next deadline, and every
 * request due by then is sent in that turn. The scheduled time in the record is the ideal
 * deadline, so any lateness shows up as schedule lag and client wait.
 *
 * A send window W (--send-window, 0.5 ms by default) arms the wait at the next deadline + W, so one
 * wake sends every request due in that window: at 5,000 req/s ~3.5 sends per wake instead of one
 * (a timerfd wake is settime + epoll + read and a context switch per send), which cut the shard's
 * CPU per request by 44 % (docs/PERFORMANCE.md, "Session 13"). The lag it adds is reported, never
 * hidden: sends are late, never early.
 */
import { monotonicNs } from '../record/clock.js';
import type { ArrivalTimes } from './rate-arrivals.js';
import { createDeadlineWait, type DeadlineWait } from './deadline-wait.js';
import type { SendTimer } from './send-timer.js';
import type { IssueTarget, Schedule, ScheduleLimits } from './schedule.js';

export class PoissonSchedule implements Schedule {
  exhausted = false;
  onExhausted: (() => void) | null = null;
  private next = 0;
  private endNs = Infinity;
  private issued = 0;
  private ticking = false;
  private readonly wait: DeadlineWait;

  constructor(
    private readonly target: IssueTarget,
    private readonly limits: ScheduleLimits,
    private readonly arrivals: ArrivalTimes,
    timer: SendTimer = 'auto',
    private readonly windowNs = 0,
  ) {
    this.wait = createDeadlineWait(() => this.onTick(), timer);
  }

  start(startNs: number): void {
    this.endNs = startNs + this.limits.durationNs;
    this.next = startNs + this.gap();
    this.arm();
  }

  /**
   * A response ended at `endNs`: send whatever was already due by then, in this callback. A timer
   * wake that falls while the loop works through a batch of responses runs only after all of them:
   * at 5,000 req/s that was ~20 % of the time of sends over 1 ms late (docs/PERFORMANCE.md,
   * "Session 7"). Free when nothing is due (the time is the record's own end).
   */
  onRequestFinished(endNs: number): void {
    if (this.next <= endNs && !this.ticking) this.onTick();
  }

  stop(): void {
    this.finish();
  }

  /** The gap to this shard's next arrival, ns (a trace's shard is also bounded by maxRequests). */
  private gap(): number {
    return this.arrivals.nextGapNs();
  }

  private onTick(): void {
    if (this.exhausted) return;
    // A send that fails at once ends its request inside issue(): no nested tick.
    this.ticking = true;
    let now = monotonicNs();
    // Everything due is sent in this turn, including what fell due while sending.
    while (this.next <= now) {
      if (this.issued >= this.limits.maxRequests || this.next > this.endNs) {
        this.ticking = false;
        this.finish();
        return;
      }
      this.issued++;
      this.target.issue(this.next);
      this.next += this.gap();
      if (this.next > now) now = monotonicNs();
    }
    this.ticking = false;
    this.arm();
  }

  private arm(): void {
    if (this.issued >= this.limits.maxRequests || this.next > this.endNs) {
      this.finish();
      return;
    }
    this.wait.waitUntil(this.next + this.windowNs);
  }

  private finish(): void {
    if (this.exhausted) return;
    this.exhausted = true;
    this.wait.close();
    this.onExhausted?.();
  }
}
