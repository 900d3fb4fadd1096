/**
 * The one clock every timestamp uses: CLOCK_MONOTONIC in nanoseconds, as a double.
 *
 * process.hrtime.bigint() reads CLOCK_MONOTONIC, which is shared by every thread and process on a
 * host, so a timestamp taken in a shard process can be compared with one taken in the main
 * process. A double holds integer nanoseconds exactly up to 2^53 ns (~104 days of uptime); past
 * that the error is a few ns, far below what any metric reports.
 */
export function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}

export const NS_PER_MS = 1e6;
export const NS_PER_S = 1e9;
