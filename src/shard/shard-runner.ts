/**
 * The shard loop: one event loop's worth of benchmark. It owns its schedule, its connection
 * pools (one per endpoint) and its request records, and hands finished records out in batches.
 * It runs the same in a shard process (shard-process.ts) or in-process (tests).
 */
import { isSecretHeader } from '../api/extra-headers.js';
import { buildHeadPrefix, buildRequestTail } from '../api/openai-request.js';
import { ConnectionPool } from '../client/connection-pool.js';
import { Connector } from '../client/connector.js';
import { DeadlineTimer } from '../client/deadline-timer.js';
import { RequestExchange, type ExchangeContext } from '../client/request-exchange.js';
import { readCaFile } from '../client/tls-trust.js';
import { BufferBudget, defaultBufferBudget } from '../api/buffer-budget.js';
import { DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_RESPONSE_BYTES } from '../api/response-limits.js';
import { monotonicNs } from '../record/clock.js';
import { RecordBatchBuilder, type RecordBatch } from '../record/record-batch.js';
import { scrubberFor, secretsOf } from '../record/redact-secrets.js';
import { RequestErrorCode, type RequestRecord } from '../record/request-record.js';
import { ConcurrencySchedule } from '../schedule/concurrency-schedule.js';
import { OfflineSchedule } from '../schedule/offline-schedule.js';
import { PoissonSchedule } from '../schedule/poisson-schedule.js';
import { arrivalTimesFor, poissonArrivals } from '../schedule/arrival-shape.js';
import type { IssueTarget, Schedule } from '../schedule/schedule.js';
import { ConversationSchedule, type TurnRequest } from '../conversation/conversation-schedule.js';
import { warmDecodePath } from './decode-warmup.js';
import { LiveTtftCounter } from '../run/live-view-histogram.js';
import type { ShardPlan, ShardProgress, ShardSummary } from './shard-plan.js';
import { startEventLoopDelay, type EventLoopDelayStats } from '../metrics/event-loop-delay.js';
import { ExchangeList } from '../client/exchange-list.js';

export interface ShardOutput {
  /** Finished records, packed (metrics/record-batch.ts; unpackRecords turns them back into objects). */
  records(batch: RecordBatch): void;
  progress(p: ShardProgress): void;
}

/**
 * Records per batch sent to the run (besides every FLUSH_INTERVAL_MS). Each IPC message costs the
 * main process a wakeup and a copy; at ~45k req/s, 4,096-record batches halved its CPU during the
 * run against 512 (0.19–0.20 s → 0.10–0.12 s per 4 s run).
 */
const BATCH_SIZE = 4096;
/** Whole requests are cached while endpoints × rows is at most this (see ShardRunner.requests). */
const REQUEST_CACHE_LIMIT = 16_384;
const PREBUILT_REQUESTS = 4096;
const FLUSH_INTERVAL_MS = 200;
/**
 * Offline runs issue only this many requests beyond the shard's connections: a request is issued
 * when it can soon be sent, so 100M samples never hold 100M exchanges (4 GB in 25 s before), and a
 * Ctrl-C leaves the unsent ones unissued. A few spare waiters let a released connection go straight
 * to the next request.
 */
const OFFLINE_QUEUE_SLACK = 64;
/** The start timer fires up to ~1 ms early (libuv's cached clock): poll the clock for the rest. */
const START_POLL_WINDOW_NS = 2e6;

export class ShardRunner implements IssueTarget {
  private readonly pools: ConnectionPool[];
  private readonly contexts: ExchangeContext[];
  /** Head prefix per endpoint. */
  private readonly heads: Buffer[];
  /** Length line and body per sample. */
  private readonly tails: (Buffer | undefined)[];
  /**
   * Whole request bytes per endpoint per sample, built on first use (one write per request) — while
   * endpoints × rows ≤ REQUEST_CACHE_LIMIT. Past that (a large dataset, many endpoints) each request
   * is assembled from its head and cached tail when issued: ~0.2 µs, instead of memory that grows
   * with rows × endpoints (100k rows × 8 endpoints would be ~480 MB).
   */
  private readonly requests: (Buffer | undefined)[][] | null;
  private readonly schedule: Schedule;
  /** --multi-turn: the schedule, which also needs every finished turn (null otherwise). */
  private readonly conversations: ConversationSchedule | null = null;
  private readonly inFlight = new ExchangeList<RequestExchange>(0);
  /**
   * Requests sent and not finished, in the order they were sent — which, with one --request-timeout
   * per shard, is deadline order: the queue the request timer works from (see expireRequests).
   */
  private readonly sentOrder = new ExchangeList<RequestExchange>(1);
  /** Scrubs the run's secrets from every record string as it is packed (a server may echo the key). */
  private readonly batch: RecordBatchBuilder;
  private seq = 0;
  private nextEndpoint = 0;
  private completed = 0;
  private failed = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  /** --request-timeout: one timer at the oldest in-flight request's deadline (see expireRequests). */
  private readonly requestTimer = new DeadlineTimer((now) => this.expireRequests(now));
  private drainTimer: NodeJS.Timeout | null = null;
  /** Why the shard stopped the run itself (an endpoint down too long); null when it did not. */
  private stopReason: string | null = null;
  private stopEventLoopDelay: (() => EventLoopDelayStats | null) | null = null;
  private startNs = 0;
  private resolveDone: ((s: ShardSummary) => void) | null = null;
  private finished = false;
  private cpuAtStart: NodeJS.CpuUsage = { user: 0, system: 0 };
  /** TTFTs since the last progress message, for the live view's last-10-s percentiles. */
  private readonly liveTtft = new LiveTtftCounter();

  constructor(
    private readonly plan: ShardPlan,
    private readonly output: ShardOutput,
  ) {
    this.batch = new RecordBatchBuilder(scrubberFor(secretsOf(plan, isSecretHeader)));
    const connector = new Connector(plan.sourceIps);
    const ca = plan.caFile === undefined ? undefined : readCaFile(plan.caFile);
    this.pools = plan.endpoints.map(
      (e) =>
        new ConnectionPool({
          target: { address: e.address, port: e.port, tls: e.tls, servername: e.host, insecure: plan.insecureTls, ca },
          connector,
          maxConnections: plan.maxConnections,
          maxConcurrentConnects: plan.maxConcurrentConnects,
          maxIdleMs: plan.maxIdleTimeMs,
          connectTimeoutMs: plan.connectTimeoutMs,
          endpointDownTimeoutMs: plan.endpointDownTimeoutMs ?? Infinity,
          onEndpointDown: (sinceNs) => this.onEndpointDown(e.displayUrl, sinceNs),
        }),
    );
    const onFinished = (ex: RequestExchange) => this.onFinished(ex);
    const onSent = plan.requestTimeoutMs > 0 ? (ex: RequestExchange) => this.onSent(ex) : undefined;
    this.heads = plan.endpoints.map((e) => buildHeadPrefix(e, plan.request.streaming, plan.apiKey, plan.headers));
    const maxResponseBytes = plan.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const budget = new BufferBudget(defaultBufferBudget(maxResponseBytes));
    this.contexts = plan.endpoints.map((e, i) => ({
      pool: this.pools[i],
      endpointName: e.displayUrl,
      captureText: plan.captureText,
      maxEventBytes: plan.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES,
      maxResponseBytes,
      budget,
      onFinished,
      onSent,
    }));
    this.tails = new Array<Buffer | undefined>(plan.samples.length);
    this.requests =
      plan.endpoints.length * plan.samples.length <= REQUEST_CACHE_LIMIT
        ? plan.endpoints.map(() => new Array<Buffer | undefined>(plan.samples.length))
        : null;
    // Build the first requests' bytes now, before the clock starts, so the opening burst does
    // not pay for JSON serialisation (the rest are built on first use).
    for (let seq = 0; seq < (plan.conversations === undefined ? PREBUILT_REQUESTS : 0); seq++) {
      if (this.requests !== null) this.requestFor(seq % plan.endpoints.length, this.rowFor(seq));
      else this.tailFor(this.rowFor(seq));
    }
    const limits = { maxRequests: plan.maxRequests, durationNs: plan.durationNs };
    if (plan.conversations !== undefined) {
      const c = new ConversationSchedule(
        this,
        limits,
        plan.concurrency,
        plan.conversations,
        plan.request,
        plan.shardIndex,
        plan.shardCount,
      );
      this.schedule = this.conversations = c;
      return;
    }
    switch (plan.pattern) {
      case 'offline':
        this.schedule = new OfflineSchedule(
          this,
          limits,
          plan.maxConnections * plan.endpoints.length + OFFLINE_QUEUE_SLACK,
        );
        break;
      case 'poisson':
      case 'constant':
      case 'trace': {
        const arrivals = arrivalTimesFor(
          plan.arrivals ?? poissonArrivals(plan.qps * plan.shardCount),
          plan.seed,
          plan.shardIndex,
          plan.shardCount,
        );
        this.schedule = new PoissonSchedule(this, limits, arrivals, plan.sendTimer, plan.sendWindowNs);
        break;
      }
      case 'concurrency':
        this.schedule = new ConcurrencySchedule(this, limits, plan.concurrency, plan.arrivals?.slotOpensNs ?? null);
        break;
    }
  }

  /** Open connections before the clock starts (0 = none). Resolves when they have settled. */
  warmup(connectionsPerEndpoint: number): Promise<void> {
    warmDecodePath();
    if (connectionsPerEndpoint <= 0) return Promise.resolve();
    return Promise.all(
      this.pools.map((p) => new Promise<void>((resolve) => p.prewarm(connectionsPerEndpoint, resolve))),
    ).then(() => undefined);
  }

  /** Run the schedule from `startNs`; resolves when every issued request has a record. */
  run(startNs: number): Promise<ShardSummary> {
    const done = new Promise<ShardSummary>((resolve) => (this.resolveDone = resolve));
    this.flushTimer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.schedule.onExhausted = () => this.onSendingEnded();
    this.cpuAtStart = process.cpuUsage();
    this.stopEventLoopDelay = startEventLoopDelay();
    for (const p of this.pools) p.startIdleEviction();
    this.startNs = startNs;
    this.startAt(startNs);
    return done;
  }

  /**
   * Start the schedule at `startNs`, never before: the timer sleeps until ~2 ms before, then
   * setImmediate polls the clock (once per run). setTimeout alone fired up to 1.01 ms early, and
   * every concurrency and offline request scheduled at the start was sent before its time.
   */
  private startAt(startNs: number): void {
    if (this.finished) return;
    const wait = startNs - monotonicNs();
    if (wait <= 0) this.schedule.start(startNs);
    else if (wait > START_POLL_WINDOW_NS) setTimeout(() => this.startAt(startNs), (wait - START_POLL_WINDOW_NS) / 1e6);
    else setImmediate(() => this.startAt(startNs));
  }

  /** Stop issuing and end every in-flight request as cancelled. */
  abort(atEnd = false): void {
    this.schedule.stop();
    if (atEnd)
      this.cancelInFlight(RequestErrorCode.cancelledAtEnd, 'still in flight when the run reached --max-duration');
    else this.cancelInFlight(RequestErrorCode.cancelled, 'cancelled: the run was interrupted');
    this.maybeFinish();
  }

  private cancelInFlight(code: RequestErrorCode, message: string): void {
    for (const ex of [...this.inFlight]) ex.abort(code, message);
  }

  /**
   * The schedule issues no more. A run bounded by --duration then drains for at most
   * --drain-timeout; whatever is still in flight after it ends as cancelled_at_end (counted,
   * never dropped) — a hung server must not hold the run for --request-timeout (600 s by default).
   */
  private onSendingEnded(): void {
    const drainMs = this.plan.drainTimeoutMs ?? Infinity;
    if (
      !this.finished &&
      this.stopReason === null &&
      this.inFlight.size > 0 &&
      Number.isFinite(this.plan.durationNs) &&
      Number.isFinite(drainMs)
    ) {
      // From the end of the window, not the last arrival: a Poisson schedule knows it is done at
      // its last arrival, up to one gap (seconds at low rates) before the window ends.
      this.drainTimer = setTimeout(
        () => {
          this.drainTimer = null;
          this.cancelInFlight(
            RequestErrorCode.cancelledAtEnd,
            `still in flight ${drainMs / 1000} s after the sending window ended (--drain-timeout)`,
          );
          this.maybeFinish();
        },
        Math.max(0, (this.startNs + this.plan.durationNs - monotonicNs()) / 1e6) + drainMs,
      );
    }
    this.maybeFinish();
  }

  /** A pool has failed every connect for longer than --endpoint-down-timeout: stop the run. */
  private onEndpointDown(endpoint: string, sinceNs: number): void {
    // Not during warmup (the run has not started; a warmup connect that fails is not retried for long).
    if (this.stopReason !== null || this.finished || this.resolveDone === null) return;
    const sinceWall = new Date(Date.now() - (monotonicNs() - sinceNs) / 1e6);
    const limit = (this.plan.endpointDownTimeoutMs ?? Infinity) / 1000;
    this.stopReason =
      `${endpoint} has been down since ${sinceWall.toISOString()} (every connect failed for more than ` +
      `--endpoint-down-timeout ${limit} s); the run was stopped. Check the server, or raise --endpoint-down-timeout`;
    this.schedule.stop();
    this.cancelInFlight(RequestErrorCode.cancelled, `cancelled: the run stopped because ${endpoint} was down`);
    this.maybeFinish();
  }

  progress(): ShardProgress {
    let open = 0;
    let exhaustion = 0;
    let retries = 0;
    for (const p of this.pools) {
      open += p.openConnections;
      exhaustion += p.stats.portExhaustionEvents;
      retries += p.stats.retries;
    }
    return {
      issued: this.seq,
      completed: this.completed,
      failed: this.failed,
      inFlight: this.inFlight.size,
      portExhaustionEvents: exhaustion,
      openConnections: open,
      retries,
    };
  }

  // IssueTarget
  issue(scheduledNs: number, turn?: TurnRequest): void {
    const plan = this.plan;
    const id = this.seq * plan.shardCount + plan.shardIndex;
    const row = turn === undefined ? this.rowFor(this.seq) : 0;
    this.seq++;
    const endpoint = this.nextEndpoint;
    this.nextEndpoint = endpoint + 1 === this.pools.length ? 0 : endpoint + 1;
    const request = turn === undefined ? this.requestFor(endpoint, row) : turn.requestBytes(this.heads[endpoint]);
    const record: RequestRecord = {
      id,
      // The dataset row: this shard's rows are every shardCount-th one (see ShardPlan.samples).
      sampleIndex:
        turn !== undefined
          ? turn.sampleIndex
          : plan.sampleRows !== undefined
            ? plan.sampleRows[row]
            : plan.samplesPartitioned
              ? row * plan.shardCount + plan.shardIndex
              : row,
      shard: plan.shardIndex,
      endpoint,
      sourceIp: '',
      streaming: plan.request.streaming,
      reused: false,
      scheduled: scheduledNs,
      dispatched: monotonicNs(),
      connectStart: NaN,
      connected: NaN,
      sent: NaN,
      headers: NaN,
      firstChunk: NaN,
      firstToken: NaN,
      end: NaN,
      chunkTimes: EMPTY_TIMES,
      status: 0,
      error: '',
      errorMessage: '',
      finishReason: '',
      inputTokens: -1,
      outputTokens: 0,
      cachedTokens: -1,
      retries: 0,
      tokenSource: 'none',
      conversation: turn === undefined ? -1 : turn.session,
      turn: turn === undefined ? 0 : turn.turn,
    };
    const ex = new RequestExchange(this.contexts[endpoint], request, record);
    this.inFlight.add(ex);
    ex.start();
  }

  /** Index into plan.samples of the shard's seq-th request. */
  private rowFor(seq: number): number {
    const plan = this.plan;
    return plan.samplesPartitioned
      ? seq % plan.samples.length
      : (seq * plan.shardCount + plan.shardIndex) % plan.samples.length;
  }

  /** Length line and body of a row: the same for every endpoint, so serialised once. */
  private tailFor(sampleIndex: number): Buffer {
    let tail = this.tails[sampleIndex];
    if (tail === undefined) {
      tail = buildRequestTail(this.plan.samples[sampleIndex], this.plan.request);
      this.tails[sampleIndex] = tail;
    }
    return tail;
  }

  private requestFor(endpoint: number, sampleIndex: number): Buffer {
    const cached = this.requests?.[endpoint][sampleIndex];
    if (cached !== undefined) return cached;
    const request = Buffer.concat([this.heads[endpoint], this.tailFor(sampleIndex)]);
    if (this.requests !== null) this.requests[endpoint][sampleIndex] = request;
    return request;
  }

  /**
   * --request-timeout runs from the write: time waiting for a connection is client wait (and an
   * offline run queues by design), bounded by the connect timeout, not the server's to answer.
   */
  private onSent(ex: RequestExchange): void {
    ex.deadline = ex.record.sent + this.plan.requestTimeoutMs * 1e6;
    // A resend (a stale connection) restarts it: it moves to the back.
    this.sentOrder.moveToBack(ex);
    this.requestTimer.arm(ex.deadline);
  }

  private onFinished(ex: RequestExchange): void {
    this.inFlight.delete(ex);
    this.sentOrder.delete(ex);
    const r = ex.record;
    if (r.error === '') {
      this.completed++;
      if (r.streaming) this.liveTtft.add(r.firstToken - r.sent);
    } else this.failed++;
    this.conversations?.onTurnFinished(r);
    this.batch.add(r, ex.arrivals);
    if (this.batch.count >= BATCH_SIZE) this.flush();
    this.schedule.onRequestFinished(r.end);
    if (this.schedule.exhausted) this.maybeFinish();
  }

  private flush(): void {
    if (this.batch.count > 0) this.output.records(this.batch.take());
    const progress = this.progress();
    progress.liveTtft = this.liveTtft.take();
    this.output.progress(progress);
  }

  /**
   * End every request past its deadline; return the next deadline. sentOrder is in send order and
   * every deadline is sent + the same timeout, so it is in deadline order: the walk stops at the
   * first request not yet due (requests sent while it runs are added behind, later still).
   */
  private expireRequests(now: number): number {
    // From the head each time, not a walk: whatever an abort does to the rest of the list, nothing is skipped.
    for (let ex = this.sentOrder.first(); ex !== null; ex = this.sentOrder.first()) {
      if (ex.deadline > now) return ex.deadline;
      ex.abort(
        RequestErrorCode.timeout,
        `no complete response within --request-timeout ${this.plan.requestTimeoutMs / 1000} s of sending`,
      );
      // An abort ends the request (onFinished unlists it); one that did not must not stop the walk.
      this.sentOrder.delete(ex);
    }
    return Infinity;
  }

  private maybeFinish(): void {
    if (this.finished || !this.schedule.exhausted || this.inFlight.size > 0) return;
    this.finished = true;
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    this.requestTimer.cancel();
    this.flush();
    let connectsStarted = 0;
    let connectsFailed = 0;
    let peak = 0;
    const reuse = { serverCloses: 0, staleCloses: 0, closeRequested: 0, reuseStoppedPools: 0 };
    for (const p of this.pools) {
      connectsStarted += p.stats.connectsStarted;
      connectsFailed += p.stats.connectsFailed;
      peak += p.stats.peakOpen;
      reuse.serverCloses += p.stats.serverCloses;
      reuse.staleCloses += p.stats.staleCloses;
      reuse.closeRequested += p.stats.closeRequested;
      reuse.reuseStoppedPools += p.stats.reuseStopped;
      p.close();
    }
    const cpu = process.cpuUsage(this.cpuAtStart);
    this.resolveDone?.({
      ...this.progress(),
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      connectsStarted,
      connectsFailed,
      peakOpenConnections: peak,
      stopReason: this.stopReason,
      ...reuse,
      eventLoopDelay: this.stopEventLoopDelay?.() ?? null,
    });
  }
}

const EMPTY_TIMES = new Float64Array(0);
