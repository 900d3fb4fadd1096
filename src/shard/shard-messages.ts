/** Messages between the run (main process) and a shard process. */
import type { RecordBatch } from '../record/record-batch.js';
import type { ShardPlan, ShardProgress, ShardSummary } from './shard-plan.js';

export type RunToShard =
  | { type: 'plan'; plan: ShardPlan; warmupConnections: number }
  | { type: 'start'; startNs: number }
  | { type: 'abort'; atEnd?: boolean };

export type ShardToRun =
  | { type: 'ready'; connections: number }
  | { type: 'records'; batch: RecordBatch }
  | { type: 'progress'; progress: ShardProgress }
  | { type: 'done'; summary: ShardSummary }
  | { type: 'fatal'; message: string };
