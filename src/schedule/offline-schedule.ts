/**
 * Offline: every request is due at once; only the connection limit spreads them out.
 *
 * Every request is *scheduled* at the start (so client wait shows the queueing for a connection),
 * but only `window` are issued at a time — the connections plus a small queue — and one more each
 * time one finishes. A request holds its state (an exchange, a record) only once issued, so memory
 * does not grow with --num-samples (100M samples issued at once passed 4 GB RSS in 25 s), and a
 * stop (Ctrl-C) leaves the samples not yet issued unissued: they are neither issued nor failed.
 */
import type { IssueTarget, Schedule, ScheduleLimits } from './schedule.js';

export class OfflineSchedule implements Schedule {
  exhausted = false;
  onExhausted: (() => void) | null = null;
  private issued = 0;
  private inFlight = 0;
  private startNs = 0;
  private started = false;
  /** Inside start()'s loop: a request that finishes synchronously must not issue recursively. */
  private issuing = false;

  constructor(
    private readonly target: IssueTarget,
    private readonly limits: ScheduleLimits,
    /** Requests issued and not finished, at most (Infinity: all at once). */
    private readonly window = Infinity,
  ) {
    if (!Number.isFinite(limits.maxRequests)) throw new RangeError('offline schedule needs a request count');
    if (!(window >= 1)) throw new RangeError('offline window must be at least 1');
  }

  start(startNs: number): void {
    if (this.exhausted) return;
    this.startNs = startNs;
    this.started = true;
    this.issueMore();
  }

  onRequestFinished(): void {
    this.inFlight--;
    if (this.started && !this.issuing) this.issueMore();
  }

  stop(): void {
    this.finish();
  }

  private issueMore(): void {
    this.issuing = true;
    while (!this.exhausted && this.issued < this.limits.maxRequests && this.inFlight < this.window) {
      this.issued++;
      this.inFlight++;
      this.target.issue(this.startNs);
    }
    this.issuing = false;
    if (this.issued >= this.limits.maxRequests) this.finish();
  }

  private finish(): void {
    if (this.exhausted) return;
    this.exhausted = true;
    this.onExhausted?.();
  }
}
