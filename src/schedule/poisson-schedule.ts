/**
 * Online arrivals at a target rate: the gaps of an arrival process (arrival-shape.ts: Poisson,
 * gamma, constant, ramped, or a trace) added to an absolute deadline. Each shard issues its share of
 * the run's one sequence (rate-arrivals.ts says why: only Poisson streams superpose).
 *
 * Timing: setTimeout only has millisecond granularity, so the wait is split: a timer sleeps
 * until ~1 ms before the deadline, then setImmediate polls the clock until it is due. The
 * scheduled time in the record is the ideal deadline, so any lateness shows up as client wait.
 */
import { monotonicNs } from '../record/clock.js';
import type { ArrivalTimes } from './rate-arrivals.js';
import type { IssueTarget, Schedule, ScheduleLimits } from './schedule.js';

const SPIN_WINDOW_NS = 1.5e6;
const TIMER_EARLY_MS = 1;

export class PoissonSchedule implements Schedule {
  exhausted = false;
  onExhausted: (() => void) | null = null;
  private next = 0;
  private endNs = Infinity;
  private issued = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private readonly tick = () => this.onTick();

  constructor(
    private readonly target: IssueTarget,
    private readonly limits: ScheduleLimits,
    private readonly arrivals: ArrivalTimes,
  ) {}

  start(startNs: number): void {
    this.endNs = startNs + this.limits.durationNs;
    this.next = startNs + this.gap();
    this.arm();
  }

  onRequestFinished(): void {}

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.finish();
  }

  /** The gap to this shard's next arrival, ns (a trace's shard is also bounded by maxRequests). */
  private gap(): number {
    return this.arrivals.nextGapNs();
  }

  private onTick(): void {
    this.timer = null;
    this.immediate = null;
    if (this.exhausted) return;
    const now = monotonicNs();
    while (this.next <= now) {
      if (this.issued >= this.limits.maxRequests || this.next > this.endNs) {
        this.finish();
        return;
      }
      this.issued++;
      this.target.issue(this.next);
      this.next += this.gap();
    }
    this.arm();
  }

  private arm(): void {
    if (this.issued >= this.limits.maxRequests || this.next > this.endNs) {
      this.finish();
      return;
    }
    const wait = this.next - monotonicNs();
    if (wait > SPIN_WINDOW_NS) {
      this.timer = setTimeout(this.tick, wait / 1e6 - TIMER_EARLY_MS);
    } else {
      this.immediate = setImmediate(this.tick);
    }
  }

  private finish(): void {
    if (this.exhausted) return;
    this.exhausted = true;
    this.onExhausted?.();
  }
}
