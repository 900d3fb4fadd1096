/**
 * During a run, the main process's threads a few nice levels below its shards (--main-nice), so
 * that on a core they share a shard's send is not kept waiting behind the main process's work.
 *
 * Why: the main process appends the shards' records to DuckDB every 250 ms (~11 µs of CPU per
 * record: ~14 ms of CPU per flush at 5,000 req/s). With both at the same nice, a shard woken for
 * its next send can wait behind a flush: `perf sched` on the client's core at 5,000 req/s had the
 * main process running for 69 ms of the shard's waits over 0.5 ms per 6 s at nice 0, 17 ms at
 * nice 10 (bench/open-loop-sched.ts); lag p99 on the quiet machine was 3.5 ms with the main process
 * on the shard's core, 1.3 ms off it: docs/PERFORMANCE.md, "The main process below its shards".
 *
 * How: Linux's setpriority() on a thread id changes that one thread, and a new thread or child
 * process starts with its creator's nice. So the shards are forked first (at the main's nice),
 * then every thread listed in /proc/self/task (libuv's and DuckDB's too) is lowered; threads made
 * later by a lowered thread start lowered. After the run (every shard has exited) the threads go
 * back, so the next run's shards (a sweep's next step, --repeats, the measured run after a warmup)
 * are forked at the original nice again. Going back needs CAP_SYS_NICE or RLIMIT_NICE (`ulimit
 * -e`): without it nothing is lowered, since the next shards would start as low as the main.
 * Nice orders threads within one autogroup (one session): the main and its shards share one.
 *
 * SCHED_IDLE too (--main-sched idle, with the addon): a lower nice still lets the main process
 * finish its slice before a woken shard runs (EEVDF's run-to-parity); a SCHED_IDLE thread is
 * preempted at once. At 5,000 req/s with the shard on the main process's core, the main JS thread
 * then ran inside fewer of the shard's late sends (docs/PERFORMANCE.md, "Session 7"). An idle thread
 * gets ~0.3 % of a core its shards keep busy, and the main thread must still act on Ctrl-C and
 * --max-duration: a guard thread (native/thread_sched.c, made before the others are idled, so it
 * keeps the normal policy) puts every thread back to SCHED_OTHER (at the lowered nice) when one of
 * them — the JS thread, or one of DuckDB's threads that a commit or checkpoint waits for —
 * waited for a core more than GUARD_MAX_WAIT_MS of a GUARD_PERIOD_MS while together they ran less
 * than GUARD_MIN_RUN_MS, and idles them again once none waits that long (put back for good, SCHED_IDLE was lost in the first second of most
 * runs: docs/PERFORMANCE.md, "Session 10"). Leaving SCHED_IDLE needs the same permission as raising
 * the nice back, so the same check covers both.
 *
 * Never fails a run: any error leaves the priorities as they were. A no-op off Linux.
 */
import os from 'node:os';
import { nativeAddon, type NativeAddon } from '../native/addon.js';
import {
  GUARD_MAX_WAIT_MS,
  GUARD_MIN_RUN_MS,
  GUARD_PERIOD_MS,
  thisProcessMayRestoreNice,
  threadIds,
} from '../native/thread-policy.js';

/** How the main process's threads are lowered during a run (--main-sched). */
export const MAIN_SCHED_POLICIES = ['idle', 'nice'] as const;
export type MainSchedPolicy = (typeof MAIN_SCHED_POLICIES)[number];

/** Lowered threads and what to put back. */
export interface MainPriority {
  /** The nice the threads were lowered to. */
  readonly nice: number;
  /** Whether the threads are also under SCHED_IDLE (--main-sched idle with the addon). */
  readonly idle: boolean;
  /** Puts every thread back to its nice before lower() (errors ignored). */
  restore(): void;
}

/** Why lowering was skipped, once per process (for the verbose notice); null when it was not. */
export type SkipReason = 'not-linux' | 'no-permission-to-restore' | 'failed';

/**
 * Lowers every thread of this process by `by` nice levels (to at most 19), and with `policy` idle
 * (and the addon) under SCHED_IDLE too; null when `by` is 0 (both off) or it was skipped (`onSkip`
 * says why).
 */
export function lowerMainPriority(
  by: number,
  onSkip: (why: SkipReason) => void = () => {},
  policy: MainSchedPolicy = 'nice',
): MainPriority | null {
  if (!(by > 0)) return null;
  const addon = policy === 'idle' ? nativeAddon() : null;
  if (process.platform !== 'linux') {
    onSkip('not-linux');
    return null;
  }
  const before = new Map<number, number>();
  try {
    const base = os.getPriority(process.pid);
    if (!thisProcessMayRestoreNice(base)) {
      onSkip('no-permission-to-restore');
      return null;
    }
    const nice = Math.min(19, base + by);
    // The guard first: made by a normal thread, it stays normal (never idled, never lowered).
    const guard =
      addon?.startStarvationGuard(process.pid, GUARD_PERIOD_MS, GUARD_MAX_WAIT_MS, GUARD_MIN_RUN_MS, -1) ?? null;
    const guardTid = guard === null ? -1 : addon!.starvationGuardTid(guard);
    const idle = addon === null ? null : { addon, guard: guard! };
    for (const tid of threadIds()) {
      if (tid === guardTid) continue;
      try {
        before.set(tid, os.getPriority(tid));
        os.setPriority(tid, nice);
        idle?.addon.setThreadIdle(tid);
      } catch {
        // A thread that ended between the listing and the call.
      }
    }
    return { nice, idle: idle !== null, restore: () => restore(before, base, idle) };
  } catch {
    restore(before, 0, null);
    onSkip('failed');
    return null;
  }
}

/**
 * Every thread back to SCHED_OTHER (when idled) and its earlier nice; threads started while lowered
 * to `base` (the main thread's).
 */
function restore(before: Map<number, number>, base: number, idle: { addon: NativeAddon; guard: object } | null): void {
  if (idle !== null) idle.addon.stopStarvationGuard(idle.guard);
  let tids: number[];
  try {
    tids = threadIds();
  } catch {
    tids = [...before.keys()];
  }
  for (const tid of tids) {
    try {
      idle?.addon.setThreadNormal(tid);
      os.setPriority(tid, before.get(tid) ?? before.get(process.pid) ?? base);
    } catch {
      // Gone, or not permitted: nothing else to do without failing the run.
    }
  }
}
