/**
 * Splitting a run into shard plans: how many shards, and which rows each holds; each plan is
 * shardPlan() of the settings (src/shard/shard-plan.ts, where the split's math is: arrivals are
 * the run's one sequence, shard i taking every N-th, schedule/rate-arrivals.ts says why).
 */
import type { BenchmarkSettings } from '../config/benchmark-settings.js';
import type { ExtraHeader } from '../api/extra-headers.js';
import type { Sample } from '../dataset/sample.js';
import { shardPlan, type ResolvedEndpoint, type ShardPlan } from '../shard/shard-plan.js';

export { drainTimeoutMs, shareOf } from '../shard/shard-plan.js';

/** Shards from --workers, never more than there is work to split (the connection plan may add more). */
export function shardCount(s: BenchmarkSettings): number {
  let n = s.workers;
  if (s.loadPattern === 'concurrency' && s.concurrency !== undefined) n = Math.min(n, s.concurrency);
  if (Number.isFinite(s.numSamples)) n = Math.min(n, s.numSamples);
  return Math.max(1, n);
}

export interface SplitInput {
  settings: BenchmarkSettings;
  endpoints: ResolvedEndpoint[];
  samples: Sample[];
  /** The dataset row of samples[k] when they were shuffled (LoadedDataset.rowOf). */
  rowOf?: Uint32Array;
  shards: number;
  /** Connections per shard per endpoint (from the connection plan). */
  perShardPerEndpoint: number;
  captureText?: boolean;
  /** Parsed `--header` values. */
  headers?: ExtraHeader[];
  /** --trace: every send time, ns after the start (time scale applied). */
  traceOffsetsNs?: number[];
  /** --shard i/N: this host's part of a run over N hosts (absent: the whole run). */
  host?: { index: number; count: number };
}

export function splitIntoShards(input: SplitInput): ShardPlan[] {
  const { settings, endpoints, samples, rowOf } = input;
  // Host h of H runs its n shards as shards h, h + H, …, h + (n − 1)·H of a run of H·n: rows,
  // arrivals, seeds and record ids then split exactly as one host with H·n shards would split
  // them, so the merge of the hosts is that run (every host must have the same n: --workers).
  const hosts = input.host?.count ?? 1;
  const host = input.host?.index ?? 0;
  const n = input.shards * hosts;
  // Each shard gets only its rows (a 100k-row dataset in each of six shards was ~280 MB).
  const partitioned = samples.length >= n;
  return Array.from({ length: input.shards }, (_, local) => {
    const i = host + hosts * local;
    return shardPlan(settings, {
      shardIndex: i,
      shardCount: n,
      endpoints,
      samples: partitioned ? samples.filter((_, row) => row % n === i) : samples,
      samplesPartitioned: partitioned,
      sampleRows: rowOf === undefined ? undefined : partitioned ? rowOf.filter((_, row) => row % n === i) : rowOf,
      connectionsPerEndpoint: input.perShardPerEndpoint,
      headers: input.headers,
      captureText: input.captureText,
      traceOffsetsNs: input.traceOffsetsNs,
    });
  });
}
