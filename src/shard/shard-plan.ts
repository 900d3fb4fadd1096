/**
 * Everything one shard needs to run its slice of a benchmark, sent once from the run to the
 * shard. Plain data (structured-clone safe): it crosses a process boundary.
 */
import type { RequestOptions } from '../api/openai-request.js';
import type { Endpoint } from '../api/endpoint.js';
import type { ExtraHeader } from '../api/extra-headers.js';
import type { ConversationShardPlan } from '../conversation/conversation.js';
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
}
