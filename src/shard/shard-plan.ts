/**
 * Everything one shard needs to run its slice of a benchmark, sent once from the run to the
 * shard. Plain data (structured-clone safe): it crosses a process boundary.
 */
import type { RequestOptions } from '../api/openai-request.js';
import type { Endpoint } from '../api/endpoint.js';
import type { ExtraHeader } from '../api/extra-headers.js';
import type { Sample } from '../dataset/sample.js';
import type { LoadPatternName } from '../schedule/schedule.js';

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
  pattern: LoadPatternName;
  /** This shard's share of the target rate (poisson). */
  qps: number;
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
  maxIdleMs: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  sourceIps: string[];
  insecureTls: boolean;
  /** Keep generated text in records (probe previews). */
  captureText: boolean;
  /** --max-event-bytes, --max-response-bytes (defaults in api/response-limits.ts when absent). */
  maxEventBytes?: number;
  maxResponseBytes?: number;
}

/** Progress a shard reports a few times a second. */
export interface ShardProgress {
  issued: number;
  completed: number;
  failed: number;
  inFlight: number;
  portExhaustionEvents: number;
  openConnections: number;
}

/** What a shard reports when it has finished. */
export interface ShardSummary extends ShardProgress {
  /** CPU time the shard process used between the start and its last record, µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  connectsStarted: number;
  connectsFailed: number;
  peakOpenConnections: number;
}
