/**
 * Everything one shard needs to run its slice of a benchmark, sent once from the run to the
 * shard. Plain data (structured-clone safe): it crosses a process boundary. shardPlan() builds it
 * from the run's settings, for the run (run/shard-split.ts), the tests and the benches alike.
 */
import { samplingParams, type BenchmarkSettings } from '../config/benchmark-settings.js';
import type { EventLoopDelayStats } from '../metrics/event-loop-delay.js';
import type { RequestOptions } from '../api/openai-request.js';
import type { Endpoint } from '../api/endpoint.js';
import type { ExtraHeader } from '../api/extra-headers.js';
import type { ConversationShardPlan } from '../conversation/conversation.js';
import type { Sample } from '../dataset/sample.js';
import type { ShardDatasetSource } from '../dataset/shard-dataset.js';
import type { LoadPatternName } from '../schedule/schedule.js';
import { shardArrivalPlan, type ArrivalPlan } from '../schedule/arrival-shape.js';
import type { SendTimer } from '../schedule/send-timer.js';
import type { ShardHelperPolicy } from './helper-priority.js';

/** An endpoint with its address resolved once, before the run (so no DNS on the hot path). */
export interface ResolvedEndpoint extends Endpoint {
  address: string;
}

export interface ShardPlan {
  shardIndex: number;
  shardCount: number;
  endpoints: ResolvedEndpoint[];
  /** A secret: lives only in memory and in request heads. */
  apiKey?: string;
  /** `--header` name/value pairs sent with every request (secret-looking values are scrubbed from records). */
  headers?: ExtraHeader[];
  request: RequestOptions;
  /**
   * This shard's rows of the dataset. Partitioned (`samplesPartitioned`, whenever the dataset has
   * at least one row per shard): rows shardIndex, shardIndex + shardCount, … — the shard's k-th
   * request uses its row k mod samples.length, so with one request per row every row is sent once,
   * exactly as `id mod rows` would, and no shard holds the whole dataset. Otherwise every row, and
   * request `id` uses row `id mod rows`.
   */
  samples: Sample[];
  samplesPartitioned: boolean;
  /**
   * The dataset row of each of `samples` when the run shuffled them: records' sampleIndex is
   * sampleRows[k]. Absent: the rows are in dataset order (the index formula above is the row).
   */
  sampleRows?: Uint32Array;
  /** A large dataset the shard reads itself, keeping only its rows (`samples` is then empty; dataset/shard-dataset.ts). */
  datasetSource?: ShardDatasetSource;
  pattern: LoadPatternName;
  /** This shard's share of the target rate (poisson). */
  qps: number;
  /** The arrival shape (schedule/arrival-shape.ts): gaps, ramp, this shard's trace times; absent = offline or plain concurrency. */
  arrivals?: ArrivalPlan;
  /** How poisson sending waits for each send time (--send-timer; absent = auto). */
  sendTimer?: SendTimer;
  /** Poisson sending wakes this long after each send time, ns (--send-window; absent = 0). */
  sendWindowNs?: number;
  /** The shard's helper threads during the run (--shard-helpers; absent = normal). */
  shardHelpers?: ShardHelperPolicy;
  /** This shard's share of the concurrency (concurrency). */
  concurrency: number;
  /** Requests this shard issues at most (Infinity = bounded by duration only). */
  maxRequests: number;
  /** Issue for this long (Infinity = bounded by count only). */
  durationNs: number;
  seed: number;
  /** Per endpoint, for this shard. */
  maxConnections: number;
  maxConcurrentConnects: number;
  /** Close connections idle this long (0 = never). */
  maxIdleTimeMs: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /**
   * After a --duration run's sending window, wait at most this long for requests in flight; the
   * rest end as cancelled_at_end (Infinity = wait for every one; the default).
   */
  drainTimeoutMs?: number;
  /** Stop the run when an endpoint has failed every connect for this long (Infinity = never; the default). */
  endpointDownTimeoutMs?: number;
  sourceIps: string[];
  insecureTls: boolean;
  /** --ca-file: a CA (PEM file, checked before the run) trusted besides the system roots. */
  caFile?: string;
  /** Keep generated text in records (probe previews). */
  captureText: boolean;
  /** --max-event-bytes, --max-response-bytes (defaults in api/response-limits.ts when absent). */
  maxEventBytes?: number;
  maxResponseBytes?: number;
  /** --multi-turn: run these conversations as sessions instead of `pattern` (src/conversation). */
  conversations?: ConversationShardPlan;
}

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

/** Where one shard sits in the run, and what the run resolved for it besides the settings. */
export interface ShardSlot {
  shardIndex: number;
  shardCount: number;
  endpoints: ResolvedEndpoint[];
  /** This shard's rows (see ShardPlan.samples). */
  samples: Sample[];
  samplesPartitioned: boolean;
  sampleRows?: Uint32Array;
  /** Connections per endpoint for this shard (from the connection plan). */
  connectionsPerEndpoint: number;
  /** Parsed `--header` values. */
  headers?: ExtraHeader[];
  captureText?: boolean;
  /** --trace: every send time of the run, ns after the start (time scale applied). */
  traceOffsetsNs?: number[] | null;
}

/**
 * The plan of shard `slot.shardIndex` of `slot.shardCount` for a run with these settings: N
 * Poisson streams at λ/N are one Poisson stream at λ; a concurrency of C is C/N slots per shard;
 * counts split as evenly as integers allow; each shard's RNG is derived from (seed, shard index).
 */
export function shardPlan(s: BenchmarkSettings, slot: ShardSlot): ShardPlan {
  const n = slot.shardCount;
  const i = slot.shardIndex;
  const arrivals = shardArrivalPlan(s, slot.traceOffsetsNs ?? null, i, n) ?? undefined;
  // A trace shard sends its times and no more (past them its arrivals end).
  const traceCount = arrivals?.traceOffsetsNs?.length ?? Infinity;
  return {
    shardIndex: i,
    shardCount: n,
    endpoints: slot.endpoints,
    apiKey: s.apiKey,
    headers: slot.headers ?? [],
    request: {
      apiType: s.apiType,
      model: s.model,
      streaming: s.streaming,
      maxOutputTokens: s.maxOutputTokens,
      extraBody: samplingParams(s),
    },
    samples: slot.samples,
    samplesPartitioned: slot.samplesPartitioned,
    ...(slot.sampleRows !== undefined ? { sampleRows: slot.sampleRows } : {}),
    pattern: s.loadPattern,
    qps: (s.targetQps ?? 0) / n,
    arrivals,
    sendTimer: s.sendTimer,
    sendWindowNs: s.sendWindow * 1e6,
    shardHelpers: s.shardHelpers,
    concurrency: shareOf(s.concurrency ?? 0, n, i),
    maxRequests: Math.min(shareOf(s.numSamples, n, i), traceCount),
    durationNs: s.duration * 1e6,
    seed: s.schedulerRandomSeed,
    maxConnections: slot.connectionsPerEndpoint,
    maxConcurrentConnects: s.maxConcurrentConnects,
    maxIdleTimeMs: s.maxIdleTime,
    connectTimeoutMs: s.connectTimeout,
    requestTimeoutMs: s.requestTimeout,
    drainTimeoutMs: drainTimeoutMs(s),
    endpointDownTimeoutMs: s.endpointDownTimeout === 0 ? Infinity : s.endpointDownTimeout,
    sourceIps: s.sourceIps,
    insecureTls: s.insecure,
    caFile: s.caFile,
    captureText: slot.captureText ?? false,
    maxEventBytes: s.maxEventBytes,
    maxResponseBytes: s.maxResponseBytes,
  };
}

/** Progress a shard reports a few times a second. */
export interface ShardProgress {
  issued: number;
  completed: number;
  failed: number;
  inFlight: number;
  portExhaustionEvents: number;
  openConnections: number;
  /** Requests sent again because the socket refused their bytes (the server cannot have seen them); each also in its record's `retries`. */
  retries: number;
  /** TTFT counts (run/live-view-histogram.ts buckets) of requests finished since the last message; absent when none. */
  liveTtft?: number[];
}

/** What a shard reports when it has finished. */
export interface ShardSummary extends ShardProgress {
  /** CPU time the shard process used between the start and its last record, µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  connectsStarted: number;
  connectsFailed: number;
  peakOpenConnections: number;
  /** Why the shard stopped the run itself (an endpoint down for too long); null otherwise. */
  stopReason: string | null;
  /**
   * Connection reuse, for blaming the server's closes when they cost connects. serverCloses:
   * kept-alive connections (the answer said keep-alive) the server closed before they carried
   * another request. staleCloses: kept-alive connections the server closed just after the next
   * request was written, with no answer (those requests failed as connection_reset).
   * closeRequested: answers that asked to close (`Connection: close`, HTTP/1.0).
   * reuseStoppedPools: pools (shard × endpoint) that stopped reusing connections because the
   * server closed after every response (then every request pays a connect).
   */
  serverCloses: number;
  staleCloses: number;
  closeRequested: number;
  reuseStoppedPools: number;
  /** Event-loop delay over the same window as the CPU time (src/metrics/event-loop-delay.ts); null when unsampled. */
  eventLoopDelay: EventLoopDelayStats | null;
}
