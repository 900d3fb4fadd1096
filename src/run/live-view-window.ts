/**
 * What the live view shows about the last 10 seconds: rates from the change in the run's totals,
 * errors in the window, and TTFT p50/p99 from the shards' bucket counts kept per second.
 */
import type { ShardProgress } from '../shard/shard-plan.js';
import { bucketPercentileMs, LIVE_TTFT_BUCKETS } from './live-view-histogram.js';

export const LIVE_WINDOW_S = 10;

export interface WindowStats {
  /** Seconds the window covers (less than 10 early in the run). */
  windowS: number;
  /** Requests issued per second over the window. */
  issuedPerS: number;
  /** Requests finished (completed or failed) per second. */
  finishedPerS: number;
  /** Requests that failed in the window. */
  errors: number;
  ttftP50Ms: number | null;
  ttftP99Ms: number | null;
  /** TTFTs in the window. */
  ttftCount: number;
}

interface Snapshot {
  ms: number;
  issued: number;
  finished: number;
  failed: number;
}

export class LiveWindow {
  /** One bucket array per second of the window (ring), and which second each holds. */
  private readonly seconds: Float64Array[] = [];
  private readonly secondOf: number[] = [];
  private readonly snapshots: Snapshot[] = [];

  constructor(private readonly startMs: number) {
    for (let i = 0; i <= LIVE_WINDOW_S; i++) {
      this.seconds.push(new Float64Array(LIVE_TTFT_BUCKETS));
      this.secondOf.push(-1);
    }
  }

  /** Totals (and a shard's TTFT counts since its last message) seen at `nowMs`. */
  observe(nowMs: number, totals: ShardProgress, ttft?: readonly number[]): void {
    if (ttft !== undefined) {
      const second = Math.floor((nowMs - this.startMs) / 1000);
      const slot = second % this.seconds.length;
      if (this.secondOf[slot] !== second) {
        this.seconds[slot].fill(0);
        this.secondOf[slot] = second;
      }
      const into = this.seconds[slot];
      for (let i = 0; i < ttft.length && i < into.length; i++) into[i] += ttft[i];
    }
    const last = this.snapshots.at(-1);
    // A snapshot every 250 ms at most: the rate needs the totals at the window's start, no more.
    if (last === undefined || nowMs - last.ms >= 250) {
      this.snapshots.push({
        ms: nowMs,
        issued: totals.issued,
        finished: totals.completed + totals.failed,
        failed: totals.failed,
      });
    } else {
      last.issued = totals.issued;
      last.finished = totals.completed + totals.failed;
      last.failed = totals.failed;
    }
    // Keep one snapshot at or before the window's start as the base.
    while (this.snapshots.length > 2 && this.snapshots[1].ms <= nowMs - LIVE_WINDOW_S * 1000) this.snapshots.shift();
  }

  stats(nowMs: number): WindowStats {
    const base = this.snapshots[0];
    const last = this.snapshots.at(-1);
    const sum = new Float64Array(LIVE_TTFT_BUCKETS);
    const second = Math.floor((nowMs - this.startMs) / 1000);
    let ttftCount = 0;
    for (let s = 0; s < this.seconds.length; s++) {
      // The current (partial) second and the 10 full ones before it: 10–11 s of TTFTs.
      if (this.secondOf[s] < 0 || second - this.secondOf[s] > LIVE_WINDOW_S) continue;
      const b = this.seconds[s];
      for (let i = 0; i < b.length; i++) {
        sum[i] += b[i];
        ttftCount += b[i];
      }
    }
    if (base === undefined || last === undefined) {
      return { windowS: 0, issuedPerS: 0, finishedPerS: 0, errors: 0, ttftP50Ms: null, ttftP99Ms: null, ttftCount };
    }
    // From the run's start while the window is not full: the start's totals are zero.
    const from =
      nowMs - this.startMs < LIVE_WINDOW_S * 1000 ? { ms: this.startMs, issued: 0, finished: 0, failed: 0 } : base;
    const spanS = Math.max(0.001, (nowMs - from.ms) / 1000);
    return {
      windowS: Math.min(LIVE_WINDOW_S, spanS),
      issuedPerS: (last.issued - from.issued) / spanS,
      finishedPerS: (last.finished - from.finished) / spanS,
      errors: last.failed - from.failed,
      ttftP50Ms: bucketPercentileMs(sum, 50),
      ttftP99Ms: bucketPercentileMs(sum, 99),
      ttftCount,
    };
  }
}
