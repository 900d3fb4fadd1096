/**
 * Splitting a run into shard plans. A concurrency of C is C/N slots per shard; counts split as
 * evenly as integers allow; arrivals (rate shapes, traces) are the run's one sequence, shard i
 * taking every N-th (schedule/rate-arrivals.ts says why).
 */
import { samplingParams, type BenchmarkSettings } from '../config/benchmark-settings.js';
import type { ExtraHeader } from '../api/extra-headers.js';
import type { Sample } from '../dataset/sample.js';
import type { ResolvedEndpoint, ShardPlan } from '../shard/shard-plan.js';
import { shardArrivalPlan } from '../schedule/arrival-shape.js';

/**
 * How long a --duration run waits for its in-flight requests after sending stops (--drain-timeout,
 * or by default the larger of 30 s and a tenth of the duration, at most --request-timeout).
 * 30 s lets a long answer finish (4,096 tokens at ~140 tokens/s); a tenth keeps the drain of a long
 * run a small part of it; past the request timeout every request has ended anyway. Infinity for
 * runs bounded by count only: they wait for every request (each bounded by --request-timeout).
 */
export function drainTimeoutMs(s: BenchmarkSettings): number {
  if (!Number.isFinite(s.duration)) return Infinity;
  if (s.drainTimeout !== undefined) return s.drainTimeout;
  const byDuration = Math.max(30_000, s.duration / 10);
  return s.requestTimeout > 0 ? Math.min(s.requestTimeout, byDuration) : byDuration;
}

/** The i-th of n near-equal integer parts of total (Infinity stays Infinity). */
export function shareOf(total: number, n: number, i: number): number {
  if (!Number.isFinite(total)) return total;
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

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
  shards: number;
  /** Connections per shard per endpoint (from the connection plan). */
  perShardPerEndpoint: number;
  captureText?: boolean;
  /** Parsed `--header` values. */
  headers?: ExtraHeader[];
  /** --trace: every send time, ns after the start (time scale applied). */
  traceOffsetsNs?: number[];
}

export function splitIntoShards(input: SplitInput): ShardPlan[] {
  const { settings: s, endpoints, samples } = input;
  const n = input.shards;
  const plans: ShardPlan[] = [];
  // Each shard gets only its rows (a 100k-row dataset in each of six shards was ~280 MB).
  const partitioned = samples.length >= n;
  for (let i = 0; i < n; i++) {
    const own = partitioned ? samples.filter((_, row) => row % n === i) : samples;
    const arrivals = shardArrivalPlan(s, input.traceOffsetsNs ?? null, i, n) ?? undefined;
    // A trace shard sends its times and no more (past them its arrivals end).
    const traceCount = arrivals?.traceOffsetsNs?.length ?? Infinity;
    plans.push({
      shardIndex: i,
      shardCount: n,
      endpoints,
      apiKey: s.apiKey,
      headers: input.headers ?? [],
      request: {
        apiType: s.apiType,
        model: s.model,
        streaming: s.streaming,
        maxOutputTokens: s.maxOutputTokens,
        extraBody: samplingParams(s),
      },
      samples: own,
      samplesPartitioned: partitioned,
      pattern: s.loadPattern,
      qps: (s.targetQps ?? 0) / n,
      arrivals,
      concurrency: shareOf(s.concurrency ?? 0, n, i),
      maxRequests: Math.min(shareOf(s.numSamples, n, i), traceCount),
      durationNs: s.duration * 1e6,
      seed: s.schedulerRandomSeed,
      maxConnections: input.perShardPerEndpoint,
      maxConcurrentConnects: s.maxConcurrentConnects,
      maxIdleMs: s.maxIdleTime,
      connectTimeoutMs: s.connectTimeout,
      requestTimeoutMs: s.requestTimeout,
      drainTimeoutMs: drainTimeoutMs(s),
      endpointDownTimeoutMs: s.endpointDownTimeout === 0 ? Infinity : s.endpointDownTimeout,
      sourceIps: s.sourceIps,
      insecureTls: s.insecure,
      caFile: s.caFile,
      captureText: input.captureText ?? false,
      maxEventBytes: s.maxEventBytes,
      maxResponseBytes: s.maxResponseBytes,
    });
  }
  return plans;
}
