/**
 * The run's side of one shard process: fork it, send it its plan, relay its records and
 * progress, and know when it is done (or died).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RecordBatch } from '../record/record-batch.js';
import type { RunToShard, ShardToRun } from '../shard/shard-messages.js';
import type { ShardPlan, ShardProgress, ShardSummary } from '../shard/shard-plan.js';

export interface ShardCallbacks {
  /** A packed batch of finished records (unpacked by the run once it ends). */
  onRecords(shard: number, batch: RecordBatch): void;
  onProgress(shard: number, progress: ShardProgress): void;
}

/** The shard entry next to this file: .ts when running from source (tsx), .js when built. */
function shardEntryPath(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../shard/shard-process${ext}`, import.meta.url));
}

export class ShardHandle {
  private readonly child: ChildProcess;
  private readyResolve: ((connections: number) => void) | null = null;
  private readyReject: ((e: Error) => void) | null = null;
  private summary: ShardSummary | null = null;
  private fatal: string | null = null;
  /** Resolves when the process has exited: with its summary, or null when it died without one. */
  readonly exited: Promise<ShardSummary | null>;

  constructor(
    readonly index: number,
    private readonly callbacks: ShardCallbacks,
    /** Extra Node/V8 options for the shard process (see shardV8Options). */
    v8Options: readonly string[] = [],
  ) {
    // 'advanced' serialization keeps typed arrays intact across IPC.
    this.child = fork(shardEntryPath(), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...process.execArgv, ...v8Options],
    });
    this.child.on('message', (m: unknown) => this.onMessage(m as ShardToRun));
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it comes after every IPC message from the child has been delivered.
      this.child.once('close', (code, signal) => {
        if (this.readyReject !== null) {
          this.readyReject(
            new Error(this.fatal ?? `shard ${index} exited before it was ready (code ${code}, signal ${signal})`),
          );
        }
        resolve(this.summary);
      });
    });
  }

  /** Why the shard failed, when it reported a fatal error. */
  get fatalMessage(): string | null {
    return this.fatal;
  }

  /** Send the plan; resolves with the connections it opened once it has warmed up and is ready. */
  prepare(plan: ShardPlan, warmupConnections: number): Promise<number> {
    const ready = new Promise<number>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.send({ type: 'plan', plan, warmupConnections });
    return ready;
  }

  start(startNs: number): void {
    this.send({ type: 'start', startNs });
  }

  /** Cancel in-flight requests; `atEnd`: as cancelled_at_end (the run reached --max-duration). */
  abort(atEnd = false): void {
    this.send(atEnd ? { type: 'abort', atEnd } : { type: 'abort' });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private send(msg: RunToShard): void {
    if (this.child.connected) this.child.send(msg);
  }

  private onMessage(msg: ShardToRun): void {
    switch (msg.type) {
      case 'ready':
        this.readyResolve?.(msg.connections);
        this.readyResolve = null;
        this.readyReject = null;
        break;
      case 'records':
        this.callbacks.onRecords(this.index, msg.batch);
        break;
      case 'progress':
        this.callbacks.onProgress(this.index, msg.progress);
        break;
      case 'done':
        this.summary = msg.summary;
        break;
      case 'fatal':
        this.fatal = `shard ${this.index}: ${msg.message}`;
        break;
    }
  }
}

/** Streams per shard from which the shard runs with a small young generation. */
const MANY_STREAMS = 4096;

/**
 * V8 options for a shard. A shard holding thousands of long streams keeps its objects for their
 * whole life, and V8 answers the high survival rate by growing the young generation to its
 * maximum: at 100k streams over six shards, 2 MB semi-spaces instead of the default took peak shard
 * RSS from 991 to 836 MB (bench/hold-streams.ts). They cost a few per cent more GC time at tens of
 * thousands of requests per second, so only plans that hold many connections at once get them.
 */
export function shardV8Options(plan: ShardPlan): string[] {
  const connections = plan.maxConnections * plan.endpoints.length;
  const held =
    plan.pattern === 'concurrency'
      ? Math.min(plan.concurrency, connections)
      : plan.pattern === 'offline'
        ? Math.min(plan.maxRequests, connections)
        : connections;
  return held >= MANY_STREAMS ? ['--max-semi-space-size=2'] : [];
}
