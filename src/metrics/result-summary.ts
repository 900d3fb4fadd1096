/**
 * The run's result summary: the content of `result_summary.json` (snake_case keys, compatible
 * with MLPerf Endpoints' file) computed from every request record of the run.
 *
 * Times are nanoseconds. Work is O(total samples) plus one sort per series: records are walked
 * twice, once to count each series and once to fill Float64Arrays sized up front, so millions of
 * records and tens of millions of chunk times never go through growing JS arrays.
 */
import { NS_PER_MS, NS_PER_S } from '../record/clock.js';
import type { RequestErrorCode, RequestRecord, TokenCountSource } from '../record/request-record.js';
import type { LoadPatternName } from '../schedule/schedule.js';
import { computePercentiles } from './percentiles.js';
import { summarizeSeriesInPlace, type SeriesSummary } from './series-summary.js';

export type RunState = 'complete' | 'interrupted' | 'failed';
export type RunMode = 'offline' | 'online';

export interface ResultSummaryInput {
  /** Every record; iterated several times (an array, or the run's packed batches). */
  records: Iterable<RequestRecord>;
  state: RunState;
  /** Start and end of the measured window, on the same clock as the records. */
  startNs: number;
  endNs: number;
  mode: RunMode;
  loadPattern?: LoadPatternName;
  /** Connects that found no free local port (EADDRNOTAVAIL/EADDRINUSE) and waited instead. */
  portExhaustionEvents?: number;
  /** CPU time all shard processes used during the run (user + system), ns. */
  clientCpuNs?: number;
}

export interface ErrorCodeSummary {
  count: number;
  /** The first errorMessage seen for this code (records keep messages secret-free). */
  example: string;
}

export interface ResultSummary {
  state: RunState;
  /** The run reached its planned end (it may still contain failed requests). */
  complete: boolean;
  mode: RunMode;
  load_pattern: LoadPatternName | null;
  n_samples_issued: number;
  n_samples_completed: number;
  n_samples_failed: number;
  duration_ns: number;
  /** Completed requests per second. */
  qps: number;
  /** Output tokens of completed requests per second. */
  tps: number;
  /** first token − sent, successful streaming requests. */
  ttft: SeriesSummary;
  /** (end − first token) / (output tokens − 1), successful streaming requests with ≥ 2 tokens. */
  tpot: SeriesSummary;
  /** Every gap between consecutive token-bearing chunks of successful streaming requests. */
  itl: SeriesSummary;
  /** end − sent, successful requests. */
  latency: SeriesSummary;
  input_sequence_lengths: SeriesSummary;
  output_sequence_lengths: SeriesSummary;
  /** sent − scheduled, every request that was sent. Our addition; not part of TTFT. */
  client_wait: SeriesSummary;
  finish_reason_counts: Record<string, number>;
  errors: Partial<Record<RequestErrorCode, ErrorCodeSummary>>;
  token_count_sources: Record<TokenCountSource, number>;
  /** Connects that found no free local port and waited for one (counted in client wait). */
  port_exhaustion_events: number;
  /** CPU time of the client during the run — shard processes and the main process — ns (null when unknown). */
  client_cpu_ns: number | null;
  /**
   * Prompt tokens the server served from its prompt cache ÷ prompt tokens, over completed requests
   * that report cached tokens (usage.prompt_tokens_details.cached_tokens); null when none does.
   */
  cached_prompt_fraction: number | null;
  warnings: string[];
}

/** Above this cached fraction TTFT measures the prompt cache more than prefill: say so. */
const CACHED_FRACTION_WARNING = 0.5;

/** Client wait p99 must stay below this floor and below 5 % of the TTFT median. */
const CLIENT_WAIT_FLOOR_NS = 1 * NS_PER_MS;
const CLIENT_WAIT_RATIO = 0.05;

export function buildResultSummary(input: ResultSummaryInput): ResultSummary {
  const { records, state, startNs, endNs, mode } = input;
  let n = 0;

  // Pass 1: sizes of every series, plus the counters that need no arrays.
  let completed = 0;
  let outputTokenSum = 0;
  let ttftCount = 0;
  let tpotCount = 0;
  let itlCount = 0;
  let latencyCount = 0;
  let clientWaitCount = 0;
  let chunkCountedStreaming = 0;
  let cachedSum = 0;
  let cachedInputSum = 0;
  let cachedReporting = 0;
  const finishReasonCounts: Record<string, number> = {};
  const errors: Partial<Record<RequestErrorCode, ErrorCodeSummary>> = {};
  const tokenCountSources: Record<TokenCountSource, number> = { usage: 0, chunks: 0, none: 0 };

  let steadyWaitCount = 0;
  for (const r of records) {
    n++;
    if (hasClientWait(r)) {
      clientWaitCount++;
      if (r.scheduled > startNs) steadyWaitCount++;
    }
    if (r.error !== '') {
      const seen = errors[r.error];
      if (seen) seen.count++;
      else errors[r.error] = { count: 1, example: r.errorMessage };
      continue;
    }
    completed++;
    outputTokenSum += r.outputTokens;
    if (r.cachedTokens >= 0) {
      cachedReporting++;
      cachedSum += r.cachedTokens;
      cachedInputSum += r.inputTokens;
    }
    const reason = r.finishReason === '' ? 'unknown' : r.finishReason;
    finishReasonCounts[reason] = (finishReasonCounts[reason] ?? 0) + 1;
    tokenCountSources[r.tokenSource]++;
    if (hasLatency(r)) latencyCount++;
    if (!r.streaming) continue;
    if (r.tokenSource === 'chunks') chunkCountedStreaming++;
    if (hasTtft(r)) ttftCount++;
    if (hasTpot(r)) tpotCount++;
    if (r.chunkTimes.length > 1) itlCount += r.chunkTimes.length - 1;
  }

  // Pass 2: fill the series.
  const ttft = new Float64Array(ttftCount);
  const tpot = new Float64Array(tpotCount);
  const itl = new Float64Array(itlCount);
  const latency = new Float64Array(latencyCount);
  const inputLengths = new Float64Array(completed);
  const outputLengths = new Float64Array(completed);
  const clientWait = new Float64Array(clientWaitCount);
  const steadyWait = new Float64Array(steadyWaitCount);
  let steadyWaitAt = 0;
  let ttftAt = 0;
  let tpotAt = 0;
  let itlAt = 0;
  let latencyAt = 0;
  let lengthAt = 0;
  let clientWaitAt = 0;

  for (const r of records) {
    if (hasClientWait(r)) {
      clientWait[clientWaitAt++] = r.sent - r.scheduled;
      if (r.scheduled > startNs) steadyWait[steadyWaitAt++] = r.sent - r.scheduled;
    }
    if (r.error !== '') continue;
    inputLengths[lengthAt] = r.inputTokens;
    outputLengths[lengthAt++] = r.outputTokens;
    if (hasLatency(r)) latency[latencyAt++] = r.end - r.sent;
    if (!r.streaming) continue;
    if (hasTtft(r)) ttft[ttftAt++] = r.firstToken - r.sent;
    if (hasTpot(r)) tpot[tpotAt++] = (r.end - r.firstToken) / (r.outputTokens - 1);
    const chunks = r.chunkTimes;
    for (let c = 1; c < chunks.length; c++) itl[itlAt++] = chunks[c] - chunks[c - 1];
  }

  const durationNs = endNs - startNs;
  const durationS = durationNs / NS_PER_S;
  const failed = n - completed;
  const summary: ResultSummary = {
    state,
    complete: state === 'complete',
    mode,
    load_pattern: input.loadPattern ?? null,
    n_samples_issued: n,
    n_samples_completed: completed,
    n_samples_failed: failed,
    duration_ns: durationNs,
    qps: durationS > 0 ? completed / durationS : 0,
    tps: durationS > 0 ? outputTokenSum / durationS : 0,
    ttft: summarizeSeriesInPlace(ttft),
    tpot: summarizeSeriesInPlace(tpot),
    itl: summarizeSeriesInPlace(itl),
    latency: summarizeSeriesInPlace(latency),
    input_sequence_lengths: summarizeSeriesInPlace(inputLengths),
    output_sequence_lengths: summarizeSeriesInPlace(outputLengths),
    client_wait: summarizeSeriesInPlace(clientWait),
    finish_reason_counts: finishReasonCounts,
    errors,
    token_count_sources: tokenCountSources,
    port_exhaustion_events: input.portExhaustionEvents ?? 0,
    client_cpu_ns: input.clientCpuNs ?? null,
    cached_prompt_fraction: cachedReporting > 0 && cachedInputSum > 0 ? cachedSum / cachedInputSum : null,
    warnings: [],
  };
  // Concurrency runs open with C requests scheduled at the same instant, which the client must
  // send one after another: their wait is the definition of a burst, not a bottleneck. The
  // bottleneck warning looks at the requests scheduled after the opening (all are still in
  // client_wait, as measured).
  const steadyWaitP99 = steadyWait.length > 0 ? computePercentiles(steadyWait)['99.0'] : null;
  summary.warnings = collectWarnings(summary, input, chunkCountedStreaming, steadyWaitP99);
  return summary;
}

function hasClientWait(r: RequestRecord): boolean {
  return Number.isFinite(r.sent) && Number.isFinite(r.scheduled);
}
function hasLatency(r: RequestRecord): boolean {
  return Number.isFinite(r.end) && Number.isFinite(r.sent);
}
function hasTtft(r: RequestRecord): boolean {
  return Number.isFinite(r.firstToken) && Number.isFinite(r.sent);
}
function hasTpot(r: RequestRecord): boolean {
  return r.outputTokens >= 2 && Number.isFinite(r.end) && Number.isFinite(r.firstToken);
}

function collectWarnings(
  summary: ResultSummary,
  input: ResultSummaryInput,
  chunkCountedStreaming: number,
  steadyWaitP99: number | null,
): string[] {
  const warnings: string[] = [];
  if (summary.state !== 'complete') {
    warnings.push(`run ${summary.state} before its planned end: numbers cover a partial run.`);
  }

  const bottleneck = clientBottleneckWarning(summary, input, steadyWaitP99);
  if (bottleneck) warnings.push(bottleneck);

  if (summary.n_samples_failed > 0) {
    warnings.push(`${summary.n_samples_failed} of ${summary.n_samples_issued} requests failed; see errors.`);
  }
  if (summary.port_exhaustion_events > 0) {
    warnings.push(
      `local ports ran out ${summary.port_exhaustion_events} time(s): those requests waited for a free connection ` +
        '(counted as client wait, not TTFT). Add --source-ips, add endpoints, or widen net.ipv4.ip_local_port_range.',
    );
  }
  const cached = summary.cached_prompt_fraction;
  if (cached !== null && cached > CACHED_FRACTION_WARNING) {
    warnings.push(
      `${(cached * 100).toFixed(0)} % of prompt tokens were served from the server's prompt cache: TTFT measures ` +
        'cache hits, not prefill. Repeated runs with the same --seed send the same prompts; change --seed or restart the server.',
    );
  }
  if (chunkCountedStreaming > 0) {
    warnings.push(
      `output tokens counted as chunks for ${chunkCountedStreaming} requests: the server sent no usage` +
        ' (TPOT, OSL and tokens/s assume one token per chunk).',
    );
  }
  return warnings;
}

/**
 * Under a schedule (Poisson, concurrency) requests should leave when planned; a large client wait
 * means the client or its connection limit, not the server, set the pace. Offline runs queue on
 * purpose (every request is due at t = 0), so they are exempt.
 */
function clientBottleneckWarning(
  summary: ResultSummary,
  input: ResultSummaryInput,
  steadyWaitP99: number | null,
): string | null {
  const pattern = input.loadPattern ?? (input.mode === 'offline' ? 'offline' : null);
  if (pattern === 'offline') return null;
  const wait = summary.client_wait;
  if (wait.avg === null) return null;

  // Non-streaming runs have no TTFT; compare with the end-to-end latency instead.
  const reference =
    summary.ttft.median !== null
      ? { name: 'TTFT', median: summary.ttft.median }
      : summary.latency.median !== null
        ? { name: 'E2E latency', median: summary.latency.median }
        : null;
  const limit = Math.max(CLIENT_WAIT_FLOOR_NS, reference ? CLIENT_WAIT_RATIO * reference.median : 0);
  const p99 = pattern === 'concurrency' ? (steadyWaitP99 ?? wait.percentiles['99.0']) : wait.percentiles['99.0'];
  if (!(p99 > limit)) return null;

  const versus = reference
    ? `is not small next to ${reference.name} median ${toMs(reference.median)} ms`
    : `exceeds ${toMs(CLIENT_WAIT_FLOOR_NS)} ms`;
  return (
    `client wait p99 ${toMs(p99)} ms ${versus}: the client (or the connection limit) was the ` +
    'bottleneck; requests went out later than scheduled and numbers may include client delay. ' +
    'Add --workers, raise --max-connections, or lower the load.'
  );
}

function toMs(ns: number): string {
  return (ns / NS_PER_MS).toFixed(2);
}
