/** Offline: every request is due at once; only the connection limit spreads them out. */
import type { IssueTarget, Schedule, ScheduleLimits } from './schedule.js';

export class OfflineSchedule implements Schedule {
  exhausted = false;
  onExhausted: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly target: IssueTarget,
    private readonly limits: ScheduleLimits,
  ) {
    if (!Number.isFinite(limits.maxRequests)) throw new RangeError('offline schedule needs a request count');
  }

  start(startNs: number): void {
    for (let i = 0; i < this.limits.maxRequests && !this.stopped; i++) this.target.issue(startNs);
    this.finish();
  }

  onRequestFinished(): void {}

  stop(): void {
    this.stopped = true;
    this.finish();
  }

  private finish(): void {
    if (this.exhausted) return;
    this.exhausted = true;
    this.onExhausted?.();
  }
}
