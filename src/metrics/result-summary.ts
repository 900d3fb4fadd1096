/**
 * The run's result summary: the content of `performance/result_summary.json` (snake_case keys, compatible
 * with MLPerf Endpoints' file) computed from every request record of the run.
 *
 * Times are nanoseconds. Work is O(total samples) plus one sort per series: records are walked
 * twice, once to count each series and once to fill Float64Arrays sized up front, so millions of
 * records and tens of millions of chunk times never go through growing JS arrays.
 */
import type { ConversationsSummary } from '../conversation/conversation-summary.js';
import { NS_PER_MS, NS_PER_S } from '../record/clock.js';
import type { RequestErrorCode, RequestRecord, TokenCountSource } from '../record/request-record.js';
import type { LoadPatternName } from '../schedule/schedule.js';
import { assessClientHealth, clientHealthWarning, type ClientHealth, type ShardHealthInput } from './client-health.js';
import { countFinishReason, emptyFinishReasonCounts, type FinishReasonCounts } from './finish-reasons.js';
import type { Percentiles } from './percentiles.js';
import type { LatencySeriesSummary, SeriesSummary } from './series-summary.js';
import { plainSeries, runPlan, type SeriesAllocator, type SeriesJob, type SeriesJobResult } from './series-jobs.js';
import { computeGoodput, evaluateSlos, type GoodputSummary, type Slo, type SloEvaluation } from './slo.js';
import { versionInfo } from './version-info.js';
import {
  tokenLengthsPlan,
  tokenCountWarnings,
  type TokenCountsSummary,
  type TokenCountInput,
  type TokenLengths,
} from './token-counts.js';

/** `incomplete`: rebuilt by `llm-loadgen report` from a run that never finished (killed). */
export type RunState = 'complete' | 'interrupted' | 'failed' | 'incomplete';
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
  /** Shard processes (each one event loop): with clientCpuNs, how busy the client was. */
  shards?: number;
  /** The arrival rate asked for (poisson --target-qps), req/s. */
  offeredQps?: number;
  /** Wall-clock time of the start (startNs), ns since the Unix epoch. */
  testStartedAtNs?: number;
  /** MLPerf Endpoints' run_config: load_pattern, warmup and the two seeds (see runConfigOf). */
  runConfig?: Record<string, unknown>;
  /** --slo: per-request SLOs give `goodput`, run SLOs `slo`. */
  slos?: readonly Slo[];
  /** Why the run ended before its schedule did (--max-duration, --max-errors, --max-error-rate). */
  stopReason?: string;
  /** Per shard CPU and event-loop delay, for client_health (shards that died without a summary are left out). */
  shardHealth?: readonly ShardHealthInput[];
  /** Connections the server closed (or asked to close), summed over the shards (run-config.ts connectionClosesOf). */
  serverClosedConnections?: number;
  /** --tokenizer's prompt counts and the synthetic workload's lengths (token-counts.ts). */
  tokens?: TokenCountInput;
}

export interface ErrorExample {
  count: number;
  /** The first errorMessage seen (records keep messages secret-free). */
  example: string;
}

export interface ErrorCodeSummary extends ErrorExample {
  /** http_status only: the same, per status ("429", "503", …), so one status cannot hide another. */
  by_status?: Record<string, ErrorExample>;
}

export interface ConnectionSummary {
  /** Requests that went out on a connection that had carried an earlier request. */
  reused: number;
  /** Requests that had to open a connection of their own (connect time is theirs). */
  new: number;
  /**
   * Requests that were the first on a connection opened before the clock started
   * (--warmup-connections): neither reused nor new. reused + new + preopened = requests sent.
   */
  preopened: number;
  /**
   * Kept-alive connections the server closed before they carried another request, or whose answer
   * asked to close them (shards' pool counts); null when not known (a merged run).
   */
  server_closed: number | null;
  /** connected − connectStart of those requests: TCP (and TLS) connect time. */
  connect_time: SeriesSummary;
}

export interface ResultSummary {
  /** llm-loadgen's version (package.json). */
  version: string;
  /** Short commit of the llm-loadgen checkout; null when not run from one. */
  git_sha: string | null;
  /** Wall-clock start of the measured window, ns since the Unix epoch (0 when unknown). */
  test_started_at: number;
  state: RunState;
  /** The run reached its planned end (it may still contain failed requests). */
  complete: boolean;
  mode: RunMode;
  load_pattern: LoadPatternName | null;
  n_samples_issued: number;
  n_samples_completed: number;
  n_samples_failed: number;
  duration_ns: number;
  /**
   * MLPerf Endpoints' legacy LoadGen window (first send to the last-issued request's end), when
   * qps was computed over it. Always null here: qps and tps use the whole measured window
   * (duration_ns), which is what null says in theirs.
   */
  legacy_loadgen_window_duration_ns: null;
  /** Completed requests per second. */
  qps: number;
  /** Output tokens of completed requests per second. */
  tps: number;
  /** first token − sent, successful streaming requests. With TPOT and latency: early-stopping estimates too. */
  ttft: LatencySeriesSummary;
  /** (end − first token) / (output tokens − 1), successful streaming requests with ≥ 2 tokens. */
  tpot: LatencySeriesSummary;
  /** Every gap between consecutive token-bearing chunks of successful streaming requests. */
  itl: SeriesSummary;
  /** end − sent, successful requests. */
  latency: LatencySeriesSummary;
  /** Completed requests whose length was measured (token_counts says by what, and why some were not). */
  input_sequence_lengths: SeriesSummary;
  output_sequence_lengths: SeriesSummary;
  token_counts: TokenCountsSummary;
  /** sent − scheduled, every request that was sent. Our addition; not part of TTFT. */
  client_wait: SeriesSummary;
  /**
   * client wait minus the request's own connect time: time spent queued in the client (schedule
   * lag, waiting for a free connection). A server that closes every connection makes each request
   * pay a connect; that is in `connections.connect_time`, not here.
   */
  client_queue_wait: SeriesSummary;
  /** dispatched − scheduled: how late the shard's event loop took requests from the schedule. */
  schedule_lag: SeriesSummary;
  connections: ConnectionSummary;
  /** --target-qps of a poisson run (null otherwise). */
  offered_qps: number | null;
  /** From the start to the last scheduled send. */
  send_window_ns: number;
  /** From the last scheduled send to the last request's end. */
  drain_ns: number;
  /**
   * Completed requests by finish_reason, MLPerf Endpoints' six keys (stop, length, tool_calls,
   * content_filter, function_call, other), every one present; a completion without a
   * finish_reason is in none of them (as in theirs).
   */
  finish_reason_counts: FinishReasonCounts;
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
  /** Requests meeting every per-request --slo (vLLM's goodput); null without one. */
  goodput: GoodputSummary | null;
  /** The run SLOs (`p99(ttft)<=500ms`), each checked, and whether all held; null without one. */
  slo: SloEvaluation | null;
  /** Why the run ended before its schedule did (--max-duration, --max-errors, --max-error-rate); null when it did not. */
  stop_reason: string | null;
  /** Could the client have distorted the numbers? Per shard CPU and event-loop delay, waits, send rate. */
  client_health: ClientHealth;
  /** load_pattern, warmup, scheduler_random_seed, dataloader_random_seed (null when not given). */
  run_config: Record<string, unknown> | null;
  warnings: string[];
  /** --multi-turn: per-turn TTFT and per-conversation totals (src/conversation/conversation-summary.ts). */
  conversations?: ConversationsSummary;
}

/** Above this cached fraction TTFT measures the prompt cache more than prefill: say so. */
const CACHED_FRACTION_WARNING = 0.5;

/** Client wait p99 must stay below this floor and below 5 % of the TTFT median. */
const CLIENT_WAIT_FLOOR_NS = 1 * NS_PER_MS;
const CLIENT_WAIT_RATIO = 0.05;
/** Shard CPU (per shard, over the run) at or above this share of a core means the client was busy. */
const BUSY_CPU_SHARE = 0.8;
/** More than this share of requests opening their own connection means the server is closing them. */
const CHURN_SHARE = 0.5;
/** ...once at least this many did (a short run's first connects are not churn). */
const CHURN_MIN_REQUESTS = 10;
/** Completions at the end of the send window below this share of the arrival rate: falling behind. */
const OVERLOAD_RATE_SHARE = 0.9;
/** ...and a drain longer than this share of the window (and 3× the early latency, and 1 s). */
const OVERLOAD_DRAIN_SHARE = 0.1;
/** Too short or too small a run to tell a queue from noise. */
const OVERLOAD_MIN_WINDOW_S = 1;
const OVERLOAD_MIN_REQUESTS = 20;

export function buildResultSummary(input: ResultSummaryInput): ResultSummary {
  return runPlan(summaryPlan(input, plainSeries));
}

/** The summary's input without its records: what assembleResultSummary takes beside the counts and series. */
export type SummaryContext = Omit<ResultSummaryInput, 'records'>;

/**
 * What the summary counts over the records (no arrays): from the records' passes here, or from SQL
 * aggregates over the stored records (store/bounded-summary.ts), the same filters either way.
 */
export interface SummaryCounts {
  issued: number;
  completed: number;
  /** Output tokens of completed requests. */
  outputTokenSum: number;
  /** Completed requests that report cached tokens (and their prompt tokens), and the sums of both. */
  cachedReporting: number;
  cachedSum: number;
  cachedInputSum: number;
  finishReasonCounts: FinishReasonCounts;
  /** Keyed in the order each code first occurs among the records. */
  errors: Partial<Record<RequestErrorCode, ErrorCodeSummary>>;
  tokenCountSources: Record<TokenCountSource, number>;
  /** Requests sent (finite `sent`), of which on a reused connection, and with a connect time of their own. */
  sent: number;
  reused: number;
  connects: number;
  retried: number;
  /** The latest scheduled and sent times, the start when none is later. */
  lastScheduled: number;
  lastSent: number;
  /** Completed streaming requests whose output tokens were counted as chunks. */
  chunkCountedStreaming: number;
  /** Completions that ended in the second half of the send window (summaryWindow's lateFrom..lastScheduled). */
  lateCompletions: number;
}

/** The windows the overload warning looks at, from the start and the last scheduled send. */
export function summaryWindow(
  startNs: number,
  lastScheduled: number,
): { windowNs: number; lateFrom: number; earlyUntil: number } {
  const windowNs = lastScheduled - startNs;
  return { windowNs, lateFrom: startNs + windowNs / 2, earlyUntil: startNs + windowNs / 4 };
}

/**
 * The per-request series the summary sorts, each with its job kind (series-jobs.ts), in the order
 * of buildResultSummary's jobs. Who fills them (the records here, a column of the results
 * database in store/bounded-summary.ts) fills the same values; the same job makes the same numbers.
 */
export const SUMMARY_SERIES = [
  ['ttft', 'latency'],
  ['tpot', 'latency'],
  ['itl', 'series'],
  ['latency', 'latency'],
  ['clientWait', 'series'],
  ['queueWait', 'series'],
  ['lag', 'series'],
  ['connectTime', 'series'],
  ['steadyWait', 'percentiles'],
  ['earlyLatency', 'percentiles'],
] as const satisfies readonly (readonly [string, SeriesJob['kind']])[];

export type SummarySeriesName = (typeof SUMMARY_SERIES)[number][0];

/** The summarized series (steady wait and early latency: the only figures the warnings take from them). */
export interface SummarySeries {
  ttft: LatencySeriesSummary;
  tpot: LatencySeriesSummary;
  itl: SeriesSummary;
  latency: LatencySeriesSummary;
  clientWait: SeriesSummary;
  queueWait: SeriesSummary;
  lag: SeriesSummary;
  connectTime: SeriesSummary;
  /** Queue wait p99 of requests scheduled after the start, not retried (null: none). */
  steadyWaitP99: number | null;
  /** Median latency of successful requests sent in the window's first quarter (null: none). */
  earlyLatencyMedian: number | null;
  lengths: TokenLengths;
}

/**
 * The summarized series from the jobs' results (SUMMARY_SERIES' order) and the arrays they sorted:
 * summaryPlan's, and the results store's read-back filled by its worker thread (store/stored-summary-fill.ts).
 */
export function summarySeriesOf(
  done: readonly SeriesJobResult[],
  filled: Record<SummarySeriesName, Float64Array>,
  lengths: TokenLengths,
): SummarySeries {
  const [ttftS, tpotS, itlS, latencyS, clientWaitS, queueWaitS, lagS, connectS] = done as SeriesSummary[];
  const [steadyWaitPercentiles, earlyLatencyPercentiles] = done.slice(8, 10) as Percentiles[];
  return {
    ttft: ttftS as LatencySeriesSummary,
    tpot: tpotS as LatencySeriesSummary,
    itl: itlS,
    latency: latencyS as LatencySeriesSummary,
    clientWait: clientWaitS,
    queueWait: queueWaitS,
    lag: lagS,
    connectTime: connectS,
    steadyWaitP99: filled.steadyWait.length > 0 ? steadyWaitPercentiles['99.0'] : null,
    earlyLatencyMedian: filled.earlyLatency.length > 0 ? earlyLatencyPercentiles['50.0'] : null,
    lengths,
  };
}

/** The summary's series as jobs, in SUMMARY_SERIES' order (summarySeriesOf reads their results so). */
export function summaryJobsOf(filled: Record<SummarySeriesName, Float64Array>): SeriesJob[] {
  return SUMMARY_SERIES.map(([name, kind]) => ({ kind, values: filled[name] }));
}

/** The summary as a plan: the record passes, one batch of sort jobs (series-jobs.ts) yielded, then the rest. */
function* summaryPlan(
  input: ResultSummaryInput,
  alloc: SeriesAllocator,
): Generator<SeriesJob[], ResultSummary, SeriesJobResult[]> {
  const { records, startNs } = input;
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
  const finishReasonCounts = emptyFinishReasonCounts();
  const errors: Partial<Record<RequestErrorCode, ErrorCodeSummary>> = {};
  const tokenCountSources: Record<TokenCountSource, number> = { usage: 0, chunks: 0, none: 0 };

  let steadyWaitCount = 0;
  let lagCount = 0;
  let reused = 0;
  let sentCount = 0;
  let connectCount = 0;
  let retried = 0;
  let lastScheduled = startNs;
  let lastSent = startNs;
  for (const r of records) {
    n++;
    if (r.scheduled > lastScheduled) lastScheduled = r.scheduled;
    if (r.sent > lastSent) lastSent = r.sent;
    if (hasClientWait(r)) {
      clientWaitCount++;
      if (r.scheduled > startNs && r.retries === 0) steadyWaitCount++;
    }
    if (Number.isFinite(r.dispatched) && Number.isFinite(r.scheduled)) lagCount++;
    if (r.retries > 0) retried++;
    if (Number.isFinite(r.sent)) {
      sentCount++;
      if (r.reused) reused++;
      if (hasConnectTime(r)) connectCount++;
    }
    if (r.error !== '') {
      const seen = errors[r.error];
      if (seen) seen.count++;
      else errors[r.error] = { count: 1, example: r.errorMessage };
      if (r.error === 'http_status') {
        const byStatus = (errors[r.error]!.by_status ??= {});
        const status = byStatus[r.status];
        if (status) status.count++;
        else byStatus[r.status] = { count: 1, example: r.errorMessage };
      }
      continue;
    }
    completed++;
    outputTokenSum += r.outputTokens;
    if (r.cachedTokens >= 0 && r.inputTokens >= 0) {
      cachedReporting++;
      cachedSum += r.cachedTokens;
      cachedInputSum += r.inputTokens;
    }
    countFinishReason(finishReasonCounts, r.finishReason);
    tokenCountSources[r.tokenSource]++;
    if (hasLatency(r)) latencyCount++;
    if (!r.streaming) continue;
    if (r.tokenSource === 'chunks') chunkCountedStreaming++;
    if (hasTtft(r)) ttftCount++;
    if (hasTpot(r)) tpotCount++;
    if (r.chunkTimes.length > 1) itlCount += r.chunkTimes.length - 1;
  }

  // Pass 2: fill the series.
  const ttft = alloc(ttftCount);
  const tpot = alloc(tpotCount);
  const itl = alloc(itlCount);
  const latency = alloc(latencyCount);
  const clientWait = alloc(clientWaitCount);
  const queueWait = alloc(clientWaitCount);
  const steadyWait = alloc(steadyWaitCount);
  const lag = alloc(lagCount);
  const connectTime = alloc(connectCount);
  let lagAt = 0;
  let connectAt = 0;
  // Overload: completions near the end of the send window against arrivals, and the latency of
  // the first quarter's requests (before any queue could build) as the baseline for the drain.
  const { lateFrom, earlyUntil } = summaryWindow(startNs, lastScheduled);
  let lateCompletions = 0;
  // Room for every latency (the early ones are among them), cut to those filled below: a pass over
  // the records to count them first was ~90 ms of a 1M-record summary.
  const earlyRoom = alloc(latencyCount);
  let earlyAt = 0;
  let steadyWaitAt = 0;
  let ttftAt = 0;
  let tpotAt = 0;
  let itlAt = 0;
  let latencyAt = 0;
  let clientWaitAt = 0;

  for (const r of records) {
    const connect = hasConnectTime(r) ? r.connected - r.connectStart : 0;
    if (hasClientWait(r)) {
      queueWait[clientWaitAt] = r.sent - r.scheduled - connect;
      clientWait[clientWaitAt++] = r.sent - r.scheduled;
      if (r.scheduled > startNs && r.retries === 0) steadyWait[steadyWaitAt++] = r.sent - r.scheduled - connect;
    }
    if (Number.isFinite(r.dispatched) && Number.isFinite(r.scheduled)) lag[lagAt++] = r.dispatched - r.scheduled;
    if (Number.isFinite(r.sent) && hasConnectTime(r)) connectTime[connectAt++] = connect;
    if (r.error !== '') continue;
    if (r.end >= lateFrom && r.end <= lastScheduled) lateCompletions++;
    if (hasLatency(r) && r.sent <= earlyUntil) earlyRoom[earlyAt++] = r.end - r.sent;
    if (hasLatency(r)) latency[latencyAt++] = r.end - r.sent;
    if (!r.streaming) continue;
    if (hasTtft(r)) ttft[ttftAt++] = r.firstToken - r.sent;
    if (hasTpot(r)) tpot[tpotAt++] = (r.end - r.firstToken) / (r.outputTokens - 1);
    const chunks = r.chunkTimes;
    for (let c = 1; c < chunks.length; c++) itl[itlAt++] = chunks[c] - chunks[c - 1];
  }

  const earlyLatency = earlyRoom.subarray(0, earlyAt);
  const filled: Record<SummarySeriesName, Float64Array> = {
    ttft,
    tpot,
    itl,
    latency,
    clientWait,
    queueWait,
    lag,
    connectTime,
    steadyWait,
    earlyLatency,
  };
  const lengthsPlan = tokenLengthsPlan(records, input.tokens, alloc, completed);
  const lengthJobs = lengthsPlan.next(undefined as unknown as SeriesJobResult[]).value as SeriesJob[];
  const jobs: SeriesJob[] = [...summaryJobsOf(filled), ...lengthJobs];
  const done = yield jobs;
  const lengthsDone = lengthsPlan.next(done.slice(SUMMARY_SERIES.length));
  if (!lengthsDone.done) throw new Error('token lengths: one batch of jobs expected');
  const counts: SummaryCounts = {
    issued: n,
    completed,
    outputTokenSum,
    cachedReporting,
    cachedSum,
    cachedInputSum,
    finishReasonCounts,
    errors,
    tokenCountSources,
    sent: sentCount,
    reused,
    connects: connectCount,
    retried,
    lastScheduled,
    lastSent,
    chunkCountedStreaming,
    lateCompletions,
  };
  const series = summarySeriesOf(done, filled, lengthsDone.value);
  return assembleResultSummary(
    input,
    counts,
    series,
    computeGoodput(records, input.slos ?? [], input.endNs - input.startNs),
  );
}

/**
 * The summary from its counts and summarized series: every figure, the client's health and the
 * warnings. Shared by the summary over records in memory and the results store's bounded end,
 * so both say the same of the same counts and series.
 */
export function assembleResultSummary(
  input: SummaryContext,
  counts: SummaryCounts,
  series: SummarySeries,
  goodput: GoodputSummary | null,
): ResultSummary {
  const { state, startNs, endNs, mode } = input;
  const { issued: n, completed, lastScheduled, lastSent } = counts;
  const { windowNs, lateFrom } = summaryWindow(startNs, lastScheduled);
  const durationNs = endNs - startNs;
  const durationS = durationNs / NS_PER_S;
  const failed = n - completed;
  const { version, gitSha } = versionInfo();
  const lengths = series.lengths;
  const summary: ResultSummary = {
    version,
    git_sha: gitSha,
    test_started_at: input.testStartedAtNs ?? 0,
    state,
    complete: state === 'complete',
    mode,
    load_pattern: input.loadPattern ?? null,
    n_samples_issued: n,
    n_samples_completed: completed,
    n_samples_failed: failed,
    duration_ns: durationNs,
    legacy_loadgen_window_duration_ns: null,
    qps: durationS > 0 ? completed / durationS : 0,
    tps: durationS > 0 ? counts.outputTokenSum / durationS : 0,
    ttft: series.ttft,
    tpot: series.tpot,
    itl: series.itl,
    latency: series.latency,
    input_sequence_lengths: lengths.input_sequence_lengths,
    output_sequence_lengths: lengths.output_sequence_lengths,
    token_counts: lengths.token_counts,
    client_wait: series.clientWait,
    client_queue_wait: series.queueWait,
    schedule_lag: series.lag,
    connections: {
      reused: counts.reused,
      new: counts.connects,
      preopened: Math.max(0, counts.sent - counts.reused - counts.connects),
      server_closed: input.serverClosedConnections ?? null,
      connect_time: series.connectTime,
    },
    offered_qps: input.offeredQps ?? null,
    send_window_ns: windowNs,
    drain_ns: Math.max(0, endNs - lastScheduled),
    finish_reason_counts: counts.finishReasonCounts,
    errors: counts.errors,
    token_count_sources: counts.tokenCountSources,
    port_exhaustion_events: input.portExhaustionEvents ?? 0,
    client_cpu_ns: input.clientCpuNs ?? null,
    cached_prompt_fraction:
      counts.cachedReporting > 0 && counts.cachedInputSum > 0 ? counts.cachedSum / counts.cachedInputSum : null,
    goodput,
    slo: null,
    stop_reason: input.stopReason ?? null,
    client_health: assessClientHealth({
      shards: [],
      durationNs,
      clientWaitP99Ns: null,
      scheduleLagP99Ns: null,
      ttftP50Ns: null,
      openLoop: null,
      targetRate: null,
    }),
    run_config: input.runConfig ?? null,
    warnings: [],
  };
  if (input.slos?.some((x) => x.kind === 'run')) summary.slo = evaluateSlos(summary, input.slos);
  // Concurrency runs open with C requests scheduled at the same instant, which the client must
  // send one after another: their wait is the definition of a burst, not a bottleneck. The
  // bottleneck warning looks at the requests scheduled after the opening (all are still in
  // client_wait, as measured).
  const steadyWaitP99 = series.steadyWaitP99;
  const pattern = input.loadPattern ?? (mode === 'offline' ? 'offline' : null);
  const queueWaitP99 = summary.client_queue_wait.avg !== null ? summary.client_queue_wait.percentiles['99.0'] : null;
  summary.client_health = assessClientHealth({
    shards: input.shardHealth ?? [],
    durationNs,
    // Offline runs queue on purpose; concurrency runs open with a burst (see below).
    clientWaitP99Ns:
      pattern === 'offline' ? null : pattern === 'concurrency' ? (steadyWaitP99 ?? queueWaitP99) : queueWaitP99,
    scheduleLagP99Ns: summary.schedule_lag.avg !== null ? summary.schedule_lag.percentiles['99.0'] : null,
    ttftP50Ns: summary.ttft.median ?? summary.latency.median,
    openLoop:
      pattern === 'poisson' ? { issued: n, lastSentNs: lastSent, lastScheduledNs: lastScheduled, startNs } : null,
    targetRate: input.offeredQps ?? null,
  });
  summary.warnings = collectWarnings(summary, input, {
    chunkCountedStreaming: counts.chunkCountedStreaming,
    steadyWaitP99,
    retried: counts.retried,
    lateCompletionRate: windowNs > 0 ? counts.lateCompletions / ((lastScheduled - lateFrom) / NS_PER_S) : null,
    earlyLatencyMedian: series.earlyLatencyMedian,
  });
  summary.warnings.push(...tokenCountWarnings(lengths.token_counts));
  return summary;
}

/** What the warnings need beyond the summary itself. */
interface WarningInputs {
  chunkCountedStreaming: number;
  /** Queue wait (connect time excluded) p99 of requests scheduled after the start, not retried. */
  steadyWaitP99: number | null;
  /** Requests sent again because the server closed an idle connection as they were written. */
  retried: number;
  /** Completions per second in the second half of the send window. */
  lateCompletionRate: number | null;
  /** Median latency of successful requests sent in the first quarter of the window. */
  earlyLatencyMedian: number | null;
}

function hasClientWait(r: RequestRecord): boolean {
  return Number.isFinite(r.sent) && Number.isFinite(r.scheduled);
}
function hasConnectTime(r: RequestRecord): boolean {
  return Number.isFinite(r.connectStart) && Number.isFinite(r.connected);
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

function collectWarnings(summary: ResultSummary, input: SummaryContext, w: WarningInputs): string[] {
  const warnings: string[] = [];
  if (summary.state !== 'complete') {
    warnings.push(`run ${summary.state} before its planned end: numbers cover a partial run.`);
  }
  if (summary.stop_reason !== null) warnings.push(`stopped early: ${summary.stop_reason}.`);
  const overload = overloadWarning(summary, w);
  if (overload) warnings.push(overload);
  const health = clientHealthWarning(summary.client_health);
  if (health) warnings.push(health);
  const bottleneck = clientBottleneckWarning(summary, input, w);
  if (bottleneck) warnings.push(bottleneck);
  const churn = connectionChurnWarning(summary);
  if (churn) warnings.push(churn);

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
  if (w.chunkCountedStreaming > 0) {
    warnings.push(
      `output tokens counted as chunks for ${w.chunkCountedStreaming} requests: the server sent no usage` +
        ' (TPOT, OSL and tokens/s assume one token per chunk).',
    );
  }
  return warnings;
}

/**
 * An open-loop (poisson) run whose completions fall behind its arrivals: the server's queue grew
 * for the whole run, so latency and TTFT measure that queue, and qps is the server's capacity,
 * not the offered load. (25 req/s offered to a server that does ~15: a 20 s send window took
 * 34.7 s to drain and reported qps 14.93 with no word of it.) Both must hold: completions in the
 * window's second half below 90 % of the arrival rate, and a drain longer than 10 % of the window,
 * 3× the early latency and 1 s — a healthy server with long requests drains in about one latency.
 */
function overloadWarning(summary: ResultSummary, w: WarningInputs): string | null {
  if (summary.load_pattern !== 'poisson') return null;
  const windowS = summary.send_window_ns / NS_PER_S;
  if (windowS < OVERLOAD_MIN_WINDOW_S || summary.n_samples_issued < OVERLOAD_MIN_REQUESTS) return null;
  if (w.lateCompletionRate === null) return null;
  const arrivalRate = summary.n_samples_issued / windowS;
  const drainNs = summary.drain_ns;
  const drainLimit = Math.max(NS_PER_S, OVERLOAD_DRAIN_SHARE * summary.send_window_ns, 3 * (w.earlyLatencyMedian ?? 0));
  if (!(w.lateCompletionRate < OVERLOAD_RATE_SHARE * arrivalRate) || !(drainNs > drainLimit)) return null;
  const offered =
    summary.offered_qps !== null
      ? `offered ${summary.offered_qps} req/s`
      : `arrivals at ${arrivalRate.toFixed(2)} req/s`;
  return (
    `overloaded: ${offered}, but requests completed at ${w.lateCompletionRate.toFixed(2)} req/s by the end of the ` +
    `${windowS.toFixed(1)} s of sending, and the run took ${toS(summary.duration_ns)} s (${toS(drainNs)} s to drain ` +
    `what was still queued). The server could not keep up: latency and TTFT include its queue, and qps ` +
    `${summary.qps.toFixed(2)} is its capacity, not the offered load. Lower --target-qps to measure below saturation.`
  );
}

/**
 * Under a schedule (Poisson, concurrency) requests should leave when planned. A large client wait
 * — the request's own connect time excluded, which is the server's doing when it closes
 * connections — means the client set the pace: its event loop (CPU, schedule lag) or its connection
 * limit. Offline runs queue on purpose (every request is due at t = 0), so they are exempt.
 */
function clientBottleneckWarning(summary: ResultSummary, input: SummaryContext, w: WarningInputs): string | null {
  const pattern = input.loadPattern ?? (input.mode === 'offline' ? 'offline' : null);
  if (pattern === 'offline') return null;
  const wait = summary.client_queue_wait;
  if (wait.avg === null) return null;

  // Non-streaming runs have no TTFT; compare with the end-to-end latency instead.
  const reference =
    summary.ttft.median !== null
      ? { name: 'TTFT', median: summary.ttft.median }
      : summary.latency.median !== null
        ? { name: 'E2E latency', median: summary.latency.median }
        : null;
  const limit = Math.max(CLIENT_WAIT_FLOOR_NS, reference ? CLIENT_WAIT_RATIO * reference.median : 0);
  const p99 = pattern === 'concurrency' ? (w.steadyWaitP99 ?? wait.percentiles['99.0']) : wait.percentiles['99.0'];
  if (!(p99 > limit)) return null;

  const versus = reference
    ? `is not small next to ${reference.name} median ${toMs(reference.median)} ms`
    : `exceeds ${toMs(CLIENT_WAIT_FLOOR_NS)} ms`;
  const head = `client wait p99 ${toMs(p99)} ms (connect time excluded) ${versus}`;
  const cpuShare =
    summary.client_cpu_ns !== null && input.shards !== undefined && summary.duration_ns > 0
      ? summary.client_cpu_ns / (summary.duration_ns * input.shards)
      : null;
  const lagP99 = summary.schedule_lag.avg !== null ? summary.schedule_lag.percentiles['99.0'] : null;
  if (cpuShare !== null && cpuShare >= BUSY_CPU_SHARE) {
    const lag = lagP99 !== null ? ` and schedule lag p99 ${toMs(lagP99)} ms` : '';
    return (
      `${head}, with shard CPU ${(cpuShare * 100).toFixed(0)} % of a core${lag}: the client was the bottleneck; ` +
      'requests went out later than scheduled and numbers may include client delay. Add --workers, or lower the load.'
    );
  }
  if (lagP99 !== null && lagP99 > limit / 2) {
    // Late timers with an idle shard: the host did not run the shard on time (other processes,
    // coarse timers). Seen at 10 req/s on a 2-core host shared with other work: lag p99 18.7 ms at 2 % CPU.
    const cpu = cpuShare !== null ? ` while the shard used only ${(cpuShare * 100).toFixed(0)} % of a core` : '';
    return (
      `${head}: the client host woke late (schedule lag p99 ${toMs(lagP99)} ms${cpu}), so requests went out ` +
      'later than scheduled and numbers may include that delay. The host is busy with other work or its timers ' +
      'are coarse: run on a quieter host; more --workers will not help.'
    );
  }
  if (w.retried > 0) {
    return (
      `${head}: ${w.retried} request(s) were sent again because the server had closed the idle connection ` +
      'they were written to; their wait is the server closing connections, not the client.'
    );
  }
  if (cpuShare === null && lagP99 === null) {
    // Nothing tells the client's event loop from its connection limit.
    return (
      `${head}: the client (or the connection limit) was the bottleneck; requests went out later than scheduled ` +
      'and numbers may include client delay. Add --workers, raise --max-connections, or lower the load.'
    );
  }
  return (
    `${head}, while the client was not busy: requests waited for a free connection. The connection limit ` +
    'was the bottleneck, not the server; raise --max-connections (or lower the load).'
  );
}

/**
 * Most requests opening a connection of their own: the server closes connections after answering
 * (llama-server does after every streamed response, though its headers say keep-alive), so every
 * request pays a connect. Counted apart — not TTFT, not client wait — and not the client's fault:
 * --workers or --max-connections cannot help. Only when the pools saw the server close them: 240
 * ten-second streams at 50 req/s each need a connection of their own (190 of 190 new, none closed).
 */
function connectionChurnWarning(summary: ResultSummary): string | null {
  const c = summary.connections;
  const sent = c.reused + c.new + c.preopened;
  if (c.new < CHURN_MIN_REQUESTS || !(c.new > CHURN_SHARE * sent) || c.connect_time.median === null) return null;
  if (c.server_closed !== null && !(c.server_closed >= CHURN_SHARE * c.new)) return null;
  return (
    `${c.new} of ${sent} requests opened a new connection (only ${c.reused} reused one; connect p50 ` +
    `${toMs(c.connect_time.median)} ms, p99 ${toMs(c.connect_time.percentiles['99.0'])} ms, counted apart from ` +
    'TTFT and client wait): the server closed connections after answering (or they sat idle past --max-idle-time). ' +
    'This is the server, not the client.'
  );
}

function toS(ns: number): string {
  return (ns / NS_PER_S).toFixed(1);
}

function toMs(ns: number): string {
  return (ns / NS_PER_MS).toFixed(2);
}
