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
 * Never fails a run: any error leaves the priorities as they were. A no-op off Linux.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Linux's capability number for raising a priority (lowering nice). */
const CAP_SYS_NICE = 23n;

/** Lowered threads and what to put back. */
export interface MainPriority {
  /** The nice the threads were lowered to. */
  readonly nice: number;
  /** Puts every thread back to its nice before lower() (errors ignored). */
  restore(): void;
}

/** Why lowering was skipped, once per process (for the verbose notice); null when it was not. */
export type SkipReason = 'not-linux' | 'no-permission-to-restore' | 'failed';

/**
 * Whether this process may set a thread back from a higher nice to `nice`: CAP_SYS_NICE in the
 * effective set, or RLIMIT_NICE's soft limit allowing `nice` (the lowest nice allowed is 20 − limit).
 * `status` and `limits` are /proc/self/status and /proc/self/limits.
 */
export function mayRestoreNice(status: string, limits: string, nice: number): boolean {
  const cap = /^CapEff:\s*([0-9a-f]+)$/im.exec(status);
  if (cap !== null && (BigInt(`0x${cap[1]}`) >> CAP_SYS_NICE) & 1n) return true;
  const limit = /^Max nice priority\s+(\d+|unlimited)/im.exec(limits);
  if (limit === null) return false;
  if (limit[1] === 'unlimited') return true;
  return 20 - Number(limit[1]) <= nice;
}

function threadIds(): number[] {
  return readdirSync('/proc/self/task').map(Number);
}

/**
 * Lowers every thread of this process by `by` nice levels (to at most 19); null when `by` is 0 or
 * it was skipped (`onSkip` says why).
 */
export function lowerMainPriority(by: number, onSkip: (why: SkipReason) => void = () => {}): MainPriority | null {
  if (!(by > 0)) return null;
  if (process.platform !== 'linux') {
    onSkip('not-linux');
    return null;
  }
  const before = new Map<number, number>();
  try {
    const base = os.getPriority(process.pid);
    if (!mayRestoreNice(readFileSync('/proc/self/status', 'utf8'), readFileSync('/proc/self/limits', 'utf8'), base)) {
      onSkip('no-permission-to-restore');
      return null;
    }
    const nice = Math.min(19, base + by);
    for (const tid of threadIds()) {
      try {
        before.set(tid, os.getPriority(tid));
        os.setPriority(tid, nice);
      } catch {
        // A thread that ended between the listing and the call.
      }
    }
    return { nice, restore: () => restore(before, base) };
  } catch {
    restore(before, 0);
    onSkip('failed');
    return null;
  }
}

/** Every thread back to its earlier nice; threads started while lowered to `base` (the main thread's). */
function restore(before: Map<number, number>, base: number): void {
  let tids: number[];
  try {
    tids = threadIds();
  } catch {
    tids = [...before.keys()];
  }
  for (const tid of tids) {
    try {
      os.setPriority(tid, before.get(tid) ?? before.get(process.pid) ?? base);
    } catch {
      // Gone, or not permitted: nothing else to do without failing the run.
    }
  }
}
