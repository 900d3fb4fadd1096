/**
 * One benchmark run: start the shard processes, give them a common start time, collect their
 * records as they stream in, and stop them — at the planned end, on Ctrl-C, or when one dies.
 * The main process does no HTTP; it only coordinates.
 */
import type { HostStartSummary } from '../distributed/host-start.js';
import { monotonicNs } from '../record/clock.js';
import { RecordBatchList, type RecordBatch } from '../record/record-batch.js';
import type { RecordSink } from '../store/store-record-sink.js';
import type { RunState } from '../metrics/result-summary.js';
import { errorLimitReason, type StopLimits } from '../metrics/stop-conditions.js';
import type { ShardPlan, ShardProgress, ShardSummary } from '../shard/shard-plan.js';
import { ShardHandle, shardV8Options } from './shard-handle.js';
import type { WarmupSummary } from './warmup-phase.js';

export interface RunObserver {
  /** Every shard is ready: `connections` were opened before the clock, in `ms`. */
  onWarm?(connections: number, ms: number): void;
  /**
   * After warmup, before the clock starts: a multi-host run waits here for its common start time
   * (--start-at, --start-barrier). A rejection fails the run.
   */
  beforeStart?(): Promise<void>;
  /** The common start time, just before shards are told to start. */
  onStart?(startNs: number): void;
  /**
   * Totals over all shards, a few times a second; `liveTtft` is the reporting shard's TTFT counts
   * since its last message (a delta: sum them, see run/live-view-window.ts).
   */
  onProgress?(total: ShardProgress, liveTtft?: number[]): void;
}

export interface RunOutcome {
  /** Where every record went: the results store during a benchmark (or packed batches in memory). */
  records: RecordSink;
  /** The common start of the schedule. */
  startNs: number;
  /** The last request's end (or when the run stopped, if later records are missing). */
  endNs: number;
  state: RunState;
  shards: (ShardSummary | null)[];
  /** Why the run failed, when state is 'failed'. */
  failure?: string;
  /** The failure is an endpoint down longer than --endpoint-down-timeout (error code endpoint_down). */
  endpointDown?: boolean;
  /** CPU time of this (main) process from the start until every shard had ended, ns. */
  mainCpuNs: number;
  /** The failure is failed requests past --max-errors / --max-error-rate (error_limit_reached). */
  errorLimit?: boolean;
  /** Why the run ended before its schedule did (--max-duration, an error limit); null when it did not. */
  stopReason?: string | null;
  /** The warmup phase before the run (run/warmup-phase.ts); null or absent when there was none. */
  warmup?: WarmupSummary | null;
  /** A host of a multi-host run: which one, and how it started (distributed/host-start.ts). */
  host?: HostStartSummary;
}

/** Sums over the shards' summaries; CPU is undefined when a shard died without one. */
export function summarizeShards(shards: readonly (ShardSummary | null)[]): {
  portExhaustionEvents: number;
  cpuNs: number | undefined;
} {
  let portExhaustionEvents = 0;
  let cpuNs: number | undefined = 0;
  for (const sh of shards) {
    portExhaustionEvents += sh?.portExhaustionEvents ?? 0;
    cpuNs = sh === null || cpuNs === undefined ? undefined : cpuNs + (sh.cpuUserUs + sh.cpuSystemUs) * 1000;
  }
  return { portExhaustionEvents, cpuNs };
}

/** Shards start this long after they are all ready, so every one gets the same start time. */
const START_DELAY_NS = 20e6;

export class BenchmarkRun {
  private readonly handles: ShardHandle[] = [];
  private readonly progress: ShardProgress[];
  private interrupts = 0;
  private started = false;
  /** Set when a stop condition ended the run (the first one wins). */
  private limitFailure: string | null = null;
  private capReason: string | null = null;

  constructor(
    private readonly plans: ShardPlan[],
    private readonly observer: RunObserver = {},
    private readonly warmupConnectionsPerShard = 0,
    private readonly limits: StopLimits = {},
    /**
     * Batches as they arrive, still packed (no object per request in this process): the results
     * store appends them as the run goes (store/store-record-sink.ts); by default they stay here.
     */
    private readonly batches: RecordSink = new RecordBatchList(),
  ) {
    this.progress = plans.map(() => ({
      issued: 0,
      completed: 0,
      failed: 0,
      inFlight: 0,
      portExhaustionEvents: 0,
      openConnections: 0,
      retries: 0,
    }));
  }

  async run(): Promise<RunOutcome> {
    const callbacks = {
      onRecords: (_shard: number, batch: RecordBatch) => {
        this.batches.push(batch);
      },
      onProgress: (shard: number, p: ShardProgress) => {
        this.progress[shard] = p;
        const totals = this.totals();
        this.observer.onProgress?.(totals, p.liveTtft);
        this.checkErrorLimits(totals);
      },
    };
    // Handles are numbered 0…n−1 here: a host of a multi-host run holds shards h, h + H, … (shard-split.ts).
    this.plans.forEach((plan, i) => this.handles.push(new ShardHandle(i, callbacks, shardV8Options(plan))));
    let failure: string | undefined;
    let endpointDown = false;
    try {
      const t0 = performance.now();
      const warmed = await Promise.all(
        this.handles.map((h, i) => h.prepare(this.plans[i], this.warmupConnectionsPerShard)),
      );
      this.observer.onWarm?.(
        warmed.reduce((a, b) => a + b, 0),
        performance.now() - t0,
      );
    } catch (err) {
      // Shards killed by a Ctrl-C during warmup are an interruption, not a failure.
      if (this.interrupts === 0) failure = (err as Error).message;
      for (const h of this.handles) h.kill();
    }
    if (failure === undefined && this.interrupts === 0 && this.observer.beforeStart !== undefined) {
      try {
        await this.observer.beforeStart();
      } catch (err) {
        failure = (err as Error).message;
      }
    }
    const startNs = monotonicNs() + START_DELAY_NS;
    const cpuAtStart = process.cpuUsage();
    if (failure === undefined && this.interrupts === 0) {
      this.started = true;
      this.observer.onStart?.(startNs);
      for (const h of this.handles) h.start(startNs);
      this.armMaxDuration(startNs);
    } else {
      for (const h of this.handles) h.kill();
    }
    // A shard that dies takes the run down with it: stop the others, keep what arrived.
    const exits = this.handles.map((h) =>
      h.exited.then((summary) => {
        if (summary === null && failure === undefined && this.interrupts === 0) {
          failure = h.fatalMessage ?? `shard ${h.index} exited unexpectedly`;
          for (const other of this.handles) other.abort();
        }
        // A shard that stopped the run itself (an endpoint down too long) fails it: exit 4.
        if (summary?.stopReason && failure === undefined) {
          failure = summary.stopReason;
          endpointDown = true;
          for (const other of this.handles) other.abort();
        }
        return summary;
      }),
    );
    const shards = await Promise.all(exits);
    if (this.capTimer !== null) clearTimeout(this.capTimer);
    if (this.limitFailure !== null && failure === undefined) failure = this.limitFailure;
    const cpu = process.cpuUsage(cpuAtStart);
    const records = this.batches;
    const endNs = records.latestEnd(startNs);
    const state: RunState = failure !== undefined ? 'failed' : this.interrupts > 0 ? 'interrupted' : 'complete';
    return {
      records,
      startNs,
      endNs,
      state,
      shards,
      failure,
      endpointDown,
      mainCpuNs: (cpu.user + cpu.system) * 1000,
      errorLimit: this.limitFailure !== null && failure === this.limitFailure,
      stopReason: failure === this.limitFailure && failure !== undefined ? failure : this.capReason,
    };
  }

  private capTimer: NodeJS.Timeout | null = null;

  /** --max-duration: from the common start, drain included; what is still in flight ends as cancelled_at_end. */
  private armMaxDuration(startNs: number): void {
    const capMs = this.limits.maxDurationMs ?? 0;
    if (!(capMs > 0)) return;
    this.capTimer = setTimeout(
      () => {
        this.capTimer = null;
        if (this.limitFailure !== null || this.interrupts > 0) return;
        this.capReason = `the run reached --max-duration ${capMs / 1000} s; requests still in flight ended as cancelled_at_end`;
        for (const h of this.handles) h.abort(true);
      },
      Math.max(0, (startNs - monotonicNs()) / 1e6 + capMs),
    );
  }

  /** --max-errors / --max-error-rate, on every progress update: stop every shard once. */
  private checkErrorLimits(totals: ShardProgress): void {
    if (!this.started || this.limitFailure !== null || this.capReason !== null || this.interrupts > 0) return;
    const reason = errorLimitReason(this.limits, totals.completed, totals.failed);
    if (reason === null) return;
    this.limitFailure = reason;
    for (const h of this.handles) h.abort();
  }

  /** Ctrl-C: the first cancels in-flight requests and collects the records; the second kills. */
  interrupt(): void {
    this.interrupts++;
    if (this.interrupts === 1 && this.started) {
      for (const h of this.handles) h.abort();
    } else {
      for (const h of this.handles) h.kill();
    }
  }

  private totals(): ShardProgress {
    const t: ShardProgress = {
      issued: 0,
      completed: 0,
      failed: 0,
      inFlight: 0,
      portExhaustionEvents: 0,
      openConnections: 0,
      retries: 0,
    };
    for (const p of this.progress) {
      t.issued += p.issued;
      t.completed += p.completed;
      t.failed += p.failed;
      t.inFlight += p.inFlight;
      t.portExhaustionEvents += p.portExhaustionEvents;
      t.openConnections += p.openConnections;
      t.retries += p.retries;
    }
    return t;
  }
}
