/**
 * Fixed concurrency: C requests in flight; each one that ends is replaced at once. The
 * replacement's scheduled time is the moment its slot freed, so client wait is pure client delay.
 * With --ramp-up the slots open one by one on absolute deadlines (arrival-shape.ts
 * rampSlotOpenings); a slot's first request is scheduled at its opening.
 */
import { monotonicNs } from '../record/clock.js';
import type { IssueTarget, Schedule, ScheduleLimits } from './schedule.js';

export class ConcurrencySchedule implements Schedule {
  exhausted = false;
  onExhausted: (() => void) | null = null;
  private issued = 0;
  private endNs = Infinity;
  private timer: NodeJS.Timeout | null = null;
  private rampTimer: NodeJS.Timeout | null = null;
  private startNs = 0;
  /** Slots opened so far (all of them at the start without a ramp). */
  private opened = 0;

  constructor(
    private readonly target: IssueTarget,
    private readonly limits: ScheduleLimits,
    private readonly concurrency: number,
    /** --ramp-up: when each slot opens, ns after the start, ascending (length = concurrency). */
    private readonly slotOpensNs: readonly number[] | null = null,
  ) {
    if (!(concurrency >= 0) || !Number.isInteger(concurrency))
      throw new RangeError('concurrency must be a non-negative integer');
    if (slotOpensNs !== null && slotOpensNs.length !== concurrency)
      throw new RangeError('one opening time per concurrency slot');
  }

  start(startNs: number): void {
    this.startNs = startNs;
    this.endNs = startNs + this.limits.durationNs;
    if (Number.isFinite(this.limits.durationNs)) {
      this.timer = setTimeout(() => this.stop(), Math.max(0, (this.endNs - monotonicNs()) / 1e6));
    }
    if (this.slotOpensNs === null) this.openSlots(this.concurrency, startNs);
    else this.openDue();
    this.checkDone();
  }

  private openSlots(n: number, scheduledNs: number): void {
    const end = Math.min(this.opened + n, this.concurrency);
    for (; this.opened < end && !this.exhausted; this.opened++) {
      if (this.issued >= this.limits.maxRequests) return;
      this.issued++;
      this.target.issue(scheduledNs);
    }
  }

  /** Opens every slot whose time has come, then sleeps until the next (never early: re-checks the clock). */
  private readonly openDue = (): void => {
    this.rampTimer = null;
    const opens = this.slotOpensNs!;
    const now = monotonicNs();
    while (
      this.opened < opens.length &&
      !this.exhausted &&
      this.issued < this.limits.maxRequests &&
      this.startNs + opens[this.opened] <= now
    ) {
      this.openSlots(1, this.startNs + opens[this.opened]);
    }
    this.checkDone();
    if (this.exhausted || this.opened >= opens.length) return;
    const wait = (this.startNs + opens[this.opened] - monotonicNs()) / 1e6;
    this.rampTimer = setTimeout(this.openDue, Math.max(0, Math.ceil(wait)));
  };

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
    if (this.rampTimer !== null) clearTimeout(this.rampTimer);
    this.timer = null;
    this.rampTimer = null;
    if (this.exhausted) return;
    this.exhausted = true;
    this.onExhausted?.();
  }

  private checkDone(): void {
    if (this.issued >= this.limits.maxRequests || this.concurrency === 0) this.stop();
  }
}
