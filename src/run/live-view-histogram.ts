/**
 * The live view's TTFT histogram: shards count each finished request's TTFT into fixed log
 * buckets (no allocation, one Math.log2 per request) and send the counts with their progress a
 * few times a second; the main process sums them into its last-10-s window. Eight buckets per
 * octave from 0.1 ms: a percentile read to ~9 %, which is what a live line needs (the report's
 * percentiles are exact).
 */
import { NS_PER_MS } from '../record/clock.js';

const PER_OCTAVE = 8;
const FLOOR_NS = 0.1 * NS_PER_MS;
/** 160 buckets: 0.1 ms × 2^20 ≈ 105 s at the top (longer TTFTs land in the last one). */
export const LIVE_TTFT_BUCKETS = 20 * PER_OCTAVE;

export function liveTtftBucket(ns: number): number {
  if (!(ns > FLOOR_NS)) return 0;
  const b = Math.floor(Math.log2(ns / FLOOR_NS) * PER_OCTAVE);
  return b >= LIVE_TTFT_BUCKETS ? LIVE_TTFT_BUCKETS - 1 : b;
}

/** A bucket's value for display: its geometric middle, ms. */
export function liveBucketMs(b: number): number {
  return (FLOOR_NS * 2 ** ((b + 0.5) / PER_OCTAVE)) / NS_PER_MS;
}

/** Counts since the last take(), in the shard: add() per finished request, take() per progress message. */
export class LiveTtftCounter {
  private readonly counts = new Uint32Array(LIVE_TTFT_BUCKETS);
  private seen = 0;

  add(ttftNs: number): void {
    if (!(ttftNs >= 0)) return;
    this.counts[liveTtftBucket(ttftNs)]++;
    this.seen++;
  }

  /** The counts so far (then zero), or undefined when there were none: nothing extra on the wire. */
  take(): number[] | undefined {
    if (this.seen === 0) return undefined;
    const out = Array.from(this.counts);
    this.counts.fill(0);
    this.seen = 0;
    return out;
  }
}

/** The p-th percentile (0–100) of summed bucket counts, ms; null when empty. */
export function bucketPercentileMs(counts: ArrayLike<number>, p: number): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total === 0) return null;
  // The "lower" rank, as the report's percentiles: index floor(p/100 × (n − 1)).
  const rank = Math.floor((p / 100) * (total - 1));
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i];
    if (cumulative > rank) return liveBucketMs(i);
  }
  return liveBucketMs(counts.length - 1);
}
