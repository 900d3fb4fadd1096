/**
 * What the main process (run/main-priority.ts) and a shard (shard/helper-priority.ts) share when
 * they put threads under SCHED_IDLE for a run: the permission to leave it again, the thread list,
 * and the starvation guard's period (native/thread_sched.c).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The guard reads every watched thread's run-queue time every this many ms… */
export const GUARD_PERIOD_MS = 200;
/**
 * …and puts them back to SCHED_OTHER when one of them waited for a core more than this of that
 * time while together they ran less than GUARD_MIN_RUN_MS (waits among themselves are not
 * starvation: four of V8's workers on one core wait 3/4 of the time), until none waits that long.
 */
export const GUARD_MAX_WAIT_MS = 100;
export const GUARD_MIN_RUN_MS = 20;

/** Linux's capability number for raising a priority (lowering nice). */
const CAP_SYS_NICE = 23n;

/**
 * Whether this process may set a thread back from a higher nice (or SCHED_IDLE) to `nice`:
 * CAP_SYS_NICE in the effective set, or RLIMIT_NICE's soft limit allowing `nice` (the lowest nice
 * allowed is 20 − limit). `status` and `limits` are /proc/self/status and /proc/self/limits.
 */
export function mayRestoreNice(status: string, limits: string, nice: number): boolean {
  const cap = /^CapEff:\s*([0-9a-f]+)$/im.exec(status);
  if (cap !== null && (BigInt(`0x${cap[1]}`) >> CAP_SYS_NICE) & 1n) return true;
  const limit = /^Max nice priority\s+(\d+|unlimited)/im.exec(limits);
  if (limit === null) return false;
  if (limit[1] === 'unlimited') return true;
  return 20 - Number(limit[1]) <= nice;
}

/** mayRestoreNice for this process (Linux's /proc). */
export function thisProcessMayRestoreNice(nice: number): boolean {
  return mayRestoreNice(readFileSync('/proc/self/status', 'utf8'), readFileSync('/proc/self/limits', 'utf8'), nice);
}

/** This process's thread ids (Linux's /proc). */
export function threadIds(): number[] {
  return readdirSync('/proc/self/task').map(Number);
}
