/**
 * Stop conditions the run checks as shard progress arrives (every 200 ms per shard):
 * `--max-errors N` (failed requests reach N) and `--max-error-rate F` (more than F of the
 * finished requests failed). The rate is judged only once max(20, ⌈1/F⌉) requests have finished,
 * so the first failure of a run cannot stop it alone (at F = 0.05, 1 of 20 is not above 5 %).
 * `--max-duration` is a timer the run arms at its start (benchmark-run.ts).
 */
export interface StopLimits {
  maxErrors?: number;
  maxErrorRate?: number;
  /** Hard cap from the start, drain included; 0 or undefined = none. */
  maxDurationMs?: number;
}

/** Fewest finished requests before an error rate is judged. */
export const ERROR_RATE_MIN_FINISHED = 20;

/** Why the run must stop now, or null. `failed` and `completed` are totals over every shard. */
export function errorLimitReason(limits: StopLimits, completed: number, failed: number): string | null {
  if (limits.maxErrors !== undefined && failed >= limits.maxErrors) {
    return `${failed} requests failed, reaching --max-errors ${limits.maxErrors}: the run was stopped early`;
  }
  const rate = limits.maxErrorRate;
  const finished = completed + failed;
  if (
    rate !== undefined &&
    finished >= Math.max(ERROR_RATE_MIN_FINISHED, Math.ceil(1 / rate)) &&
    failed / finished > rate
  ) {
    return (
      `${failed} of ${finished} finished requests failed (${((failed / finished) * 100).toFixed(1)} %), above ` +
      `--max-error-rate ${rate}: the run was stopped early`
    );
  }
  return null;
}
