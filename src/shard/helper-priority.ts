/**
 * During a run, a shard's helper threads — V8's compiler and GC workers, libuv's pool — under
 * SCHED_IDLE, its JS thread normal (--shard-helpers idle, the default with the addon on Linux).
 *
 * Why: on the shard's core they are its equals, so one woken by the JS thread (a compile job, a
 * parallel scavenge) takes the core and keeps it to the end of its slice, up to a 4 ms tick here:
 * at 5,000 req/s, a trace of every context switch on the client's core put the shard's own helpers
 * inside 43 % of the time of its sends over 1 ms late (152 of 345 ms in 10 s), and most of the run's
 * first second (docs/PERFORMANCE.md, "Session 10"). Under SCHED_IDLE they run whenever the JS
 * thread waits, and a woken JS thread preempts them at once.
 *
 * A helper must still run on a core the JS thread keeps busy (a closed loop: V8's optimizing
 * compiler, its GC's concurrent marking): the starvation guard (native/thread_sched.c) puts them
 * back to SCHED_OTHER when one of them waited most of a period for a core while together they
 * hardly ran, and idles them again once none waits that long. Leaving SCHED_IDLE needs CAP_SYS_NICE or RLIMIT_NICE: without it nothing is idled.
 *
 * Never fails a run: any error leaves the threads as they were. A no-op off Linux or without the addon.
 */
import os from 'node:os';
import { nativeAddon } from '../native/addon.js';
import {
  GUARD_MAX_WAIT_MS,
  GUARD_MIN_RUN_MS,
  GUARD_PERIOD_MS,
  thisProcessMayRestoreNice,
  threadIds,
} from '../native/thread-policy.js';

/** How a shard's helper threads are scheduled during a run (--shard-helpers). */
export const SHARD_HELPER_POLICIES = ['idle', 'normal'] as const;
export type ShardHelperPolicy = (typeof SHARD_HELPER_POLICIES)[number];

export interface IdledHelpers {
  /** Stops the guard and puts every helper back to SCHED_OTHER; how many times the guard had to. */
  restore(): number;
}

/** Idles every thread of this process but its JS thread; null when off, not possible, or refused. */
export function idleShardHelpers(policy: ShardHelperPolicy = 'idle'): IdledHelpers | null {
  const addon = nativeAddon();
  if (policy !== 'idle' || process.platform !== 'linux' || addon === null) return null;
  let guard: object | null = null;
  const restore = (): number => {
    const boosts = guard === null ? 0 : addon.stopStarvationGuard(guard);
    for (const tid of threadIds()) {
      try {
        if (tid !== process.pid) addon.setThreadNormal(tid);
      } catch {
        // Ended meanwhile.
      }
    }
    return boosts;
  };
  try {
    if (!thisProcessMayRestoreNice(os.getPriority(process.pid))) return null;
    // The main thread's tid is the pid. The guard is made by it, so it starts (and stays) normal.
    guard = addon.startStarvationGuard(process.pid, GUARD_PERIOD_MS, GUARD_MAX_WAIT_MS, GUARD_MIN_RUN_MS, process.pid);
    const guardTid = addon.starvationGuardTid(guard);
    for (const tid of threadIds()) {
      if (tid !== process.pid && tid !== guardTid) addon.setThreadIdle(tid);
    }
    return { restore };
  } catch {
    // Half done: stop the guard and put back whatever was idled.
    if (guard !== null) restore();
    return null;
  }
}
