/**
 * Connections to one endpoint, owned by one shard.
 *
 * - Reuse is most-recently-idle first (a stack), so a burst followed by a lull leaves the
 *   least-used connections at the bottom where idle eviction closes them.
 * - New connections are paced: at most `maxConcurrentConnects` in flight, so bursts and warmup
 *   do not flood the server's accept queue (unpaced bursts cost 1–3 s SYN-retransmit tails).
 * - Running out of local ports (EADDRNOTAVAIL / EADDRINUSE) is back-pressure: the request waits
 *   for a connection to free and is still sent; the event is counted, never a silent failure.
 * - A failed connect backs off (exponential, capped, reset by the next successful connect): no
 *   new connect starts until the backoff ends, so the request that replaces a failed one waits
 *   like any request would. Without it, a dead endpoint on loopback (a refusal costs ~50 µs) made
 *   a concurrency-4 run fail 219,153 requests in 5 s. With no connection open the endpoint is
 *   down: one probe connect at a time, each failed probe fails every request waiting, and past
 *   `endpointDownTimeoutMs` the owner is told (the run stops).
 */
import { monotonicNs } from '../record/clock.js';
import { Connector, type ConnectTarget } from './connector.js';
import { DeadlineTimer } from './deadline-timer.js';
import { Http1Connection, type ConnectionOwner } from './http1-connection.js';

/** A request waiting for a connection. */
export interface PoolWaiter {
  /** `fromIdle`: the connection was already open (idle or just released), not connected for this waiter. */
  onConnection(conn: Http1Connection, fromIdle: boolean): void;
  /** The connect failed for a reason other than port exhaustion. `code` is the errno code. */
  onConnectFailure(code: string, message: string): void;
}

export interface PoolOptions {
  target: ConnectTarget;
  connector: Connector;
  /** Open + connecting connections never exceed this. */
  maxConnections: number;
  maxConcurrentConnects: number;
  /** Idle connections older than this are closed. 0 disables eviction. */
  maxIdleMs: number;
  connectTimeoutMs: number;
  /** Tell `onEndpointDown` once every connect has failed, with no connection open, for this long. */
  endpointDownTimeoutMs?: number;
  /** The endpoint has been down since `sinceNs` (monotonic) for longer than endpointDownTimeoutMs. */
  onEndpointDown?: (sinceNs: number) => void;
}

export interface PoolStats {
  connectsStarted: number;
  connectsFailed: number;
  portExhaustionEvents: number;
  peakOpen: number;
  /** Requests sent again because the socket refused their bytes (the server cannot have seen them). */
  retries: number;
  /** Kept-alive connections (the answer said keep-alive) that the server closed before they carried another request. */
  serverCloses: number;
  /** Kept-alive connections the server closed just after the next request was written, with no answer. */
  staleCloses: number;
  /** Answers that asked to close the connection (`Connection: close`, HTTP/1.0 without keep-alive). */
  closeRequested: number;
  /** 1 when the pool stopped reusing connections because the server closes after every response. */
  reuseStopped: number;
}

const PORT_EXHAUSTION_CODES = new Set(['EADDRNOTAVAIL', 'EADDRINUSE']);
/**
 * Backoff after a failed connect: 20 ms, doubling to 1 s. The first retries come soon (a refused
 * connect during a server restart); the cap bounds a dead endpoint to one probe a second per pool,
 * and --endpoint-down-timeout is checked at that resolution.
 */
export const CONNECT_BACKOFF_INITIAL_MS = 20;
export const CONNECT_BACKOFF_MAX_MS = 1000;
/** After port exhaustion with nothing left to free, retry the connect after this long. */
const EXHAUSTION_RETRY_MS = 50;
/**
 * A server close this soon after the connection's last response is a close *after the response*
 * (llama.cpp's server closes within a millisecond of each streamed answer although its headers say
 * keep-alive), not an idle timeout (uvicorn, node and nginx wait 5–75 s).
 */
const CLOSE_AFTER_RESPONSE_NS = 100e6;
/**
 * When the server has closed at least this many connections right after a response, and at least
 * half of the answers that said keep-alive, the pool stops reusing: each request then gets a fresh
 * connection, as the server forces anyway, instead of racing its close (a request written onto a
 * connection whose FIN is still on the way is lost, and the server may have read it, so it cannot
 * be sent again). Half, not "every": a server closing 0–3 ms after each answer lets some reuses
 * through, and a rule reset by each of them kept reusing and lost 9 of 200 Poisson requests
 * (test/client/request-exchange.test.ts). A server that closes only idle connections (seconds
 * later) never trips it.
 */
const CLOSES_BEFORE_NO_REUSE = 3;
/** Once reuse has stopped, a used connection the server has not closed after this long is closed by us. */
const RETIRE_MS = 1000;
/**
 * Until a pool knows that the server keeps a connection open after a chunked (streamed) answer, it
 * reuses none: a used connection waits this long after its answer (later requests get new
 * connections meanwhile), and the first that is still open then proves keep-alive; reuse is normal
 * from there on. llama.cpp's server closes after every streamed answer although its head says
 * keep-alive (its stream provider returns false after the last chunk, which cpp-httplib takes as a
 * cancelled write and ends the connection: tools/server/server-http.cpp, process_handler_response);
 * its FIN comes 0.04–0.3 ms after the answer on an idle machine (~8 ms seen on a loaded one), and a
 * request written before it lands is read and dropped unanswered — 1 per pool was lost before
 * this, none since (test/engine/llama-server-synthetic.test.ts). 20 ms: twice the loaded figure;
 * a keep-alive server pays once per pool, with the connects of the requests in those 20 ms.
 */
const PROBATION_NS = 20e6;

export class ConnectionPool implements ConnectionOwner {
  private readonly idle: Http1Connection[] = [];
  private waiters: PoolWaiter[] = [];
  private waiterHead = 0;
  /** Queued waiters that were withdrawn and must be skipped. */
  private readonly withdrawn = new Set<PoolWaiter>();
  /** Connected connections (idle or busy). */
  private open = 0;
  private connecting = 0;
  /** Set after EADDRNOTAVAIL: no new connects until a connection closes or the retry timer fires. */
  private exhausted = false;
  private exhaustionTimer: NodeJS.Timeout | null = null;
  private evictionTimer: NodeJS.Timeout | null = null;
  private closing = false;
  /**
   * Connections still connecting, oldest first: with one connect timeout per pool, insertion order
   * is deadline order, so one timer at the oldest deadline enforces it (a 250 ms sweep fired late).
   */
  private readonly pending = new Set<Http1Connection>();
  private readonly connectTimer = new DeadlineTimer((now) => this.expireConnects(now), true);
  /** No new connect before the backoff ends (see CONNECT_BACKOFF_*). */
  private backingOff = false;
  private backoffMs = CONNECT_BACKOFF_INITIAL_MS;
  private backoffTimer: NodeJS.Timeout | null = null;
  /** When connects began failing with no connection open (monotonic ns); NaN while the endpoint is up. */
  private downSinceNs = NaN;
  private downReported = false;
  private warmupRemaining = 0;
  private warmupDone: (() => void) | null = null;
  /** Failed warmup connects that may still be retried (bounded: a black hole must not spin). */
  private warmupRetriesLeft = 0;
  /** Answers that said keep-alive, and server closes right after one (see CLOSES_BEFORE_NO_REUSE). */
  private keptAlive = 0;
  private closesAfterResponse = 0;
  private reuse = true;
  /** Used connections waiting for a poll before reuse (settle): released since the last tick, and before it. */
  private settleNew: Http1Connection[] = [];
  private settlePast: Http1Connection[] = [];
  private settleTimer: NodeJS.Immediate | null = null;
  /** Used connections left for the server to close once reuse has stopped. */
  private readonly retiring = new Set<Http1Connection>();
  /** A chunked answer's connection survived PROBATION_NS idle: the server keeps connections (see there). */
  private keepsAfterStream = false;
  /** Used connections waiting out PROBATION_NS after a chunked answer, oldest first (one deadline each). */
  private readonly probation = new Set<Http1Connection>();
  private readonly probationTimer = new DeadlineTimer((now) => this.endProbation(now), true);
  readonly stats: PoolStats = {
    connectsStarted: 0,
    connectsFailed: 0,
    portExhaustionEvents: 0,
    peakOpen: 0,
    retries: 0,
    serverCloses: 0,
    staleCloses: 0,
    closeRequested: 0,
    reuseStopped: 0,
  };

  constructor(private readonly options: PoolOptions) {
    this.startIdleEviction();
  }

  /**
   * (Re)start idle eviction with every idle connection counted as idle from now: called when
   * the run's clock starts, so a long warmup does not evict the connections it just opened.
   */
  startIdleEviction(): void {
    if (this.evictionTimer !== null) clearInterval(this.evictionTimer);
    this.evictionTimer = null;
    const now = performance.now();
    for (const conn of this.idle) conn.idleSinceMs = now;
    if (this.options.maxIdleMs > 0 && !this.closing) {
      this.evictionTimer = setInterval(() => this.evictIdle(), Math.min(1000, this.options.maxIdleMs));
      this.evictionTimer.unref();
    }
  }

  get openConnections(): number {
    return this.open;
  }

  get idleConnections(): number {
    return this.idle.length;
  }

  get waiting(): number {
    return this.waiters.length - this.waiterHead - this.withdrawn.size;
  }

  /** Hand the waiter a connection now, or as soon as one is free or connected. */
  acquire(waiter: PoolWaiter): void {
    let conn: Http1Connection | undefined;
    while ((conn = this.idle.pop()) !== undefined) {
      if (conn.stillOpen()) {
        waiter.onConnection(conn, true);
        return;
      }
      this.dropClosedIdle(conn);
    }
    this.waiters.push(waiter);
    this.fill();
  }

  /**
   * Withdraw a waiter that has not got a connection yet (cancellation, timeout). O(1): it is
   * marked and skipped when its turn comes — an abort of 100k queued requests must not be O(n²).
   */
  withdraw(waiter: PoolWaiter): void {
    this.withdrawn.add(waiter);
  }

  /** The request on `conn` is finished. A reusable connection goes to the next waiter or idles. */
  release(conn: Http1Connection): void {
    conn.user = null;
    if (!conn.reusable || this.closing) {
      if (conn.parser.done && !conn.parser.head.keepAlive) this.stats.closeRequested++;
      conn.destroy();
      return;
    }
    if (!this.reuse && conn.requests > 0) {
      // Left for the server to close, as it does after every answer: whoever closes first keeps
      // the port in TIME_WAIT for 60 s, and at a few hundred connections a second the client's
      // ports would run out. One that is still open a second later is closed here (evictIdle).
      conn.idleSinceMs = performance.now();
      this.retiring.add(conn);
      return;
    }
    if (conn.requests > 0) {
      this.keptAlive++;
      if (!this.keepsAfterStream && conn.parser.head.chunked) {
        conn.idleSinceMs = performance.now();
        this.probation.add(conn);
        this.probationTimer.arm(conn.readNs + PROBATION_NS);
        if (this.waiting > 0) this.fill();
        return;
      }
      if (!conn.canPeek) {
        this.settle(conn);
        return;
      }
    }
    // Handed on in the same turn as its last read: look for a FIN that Node has not read yet.
    if (this.waiting > 0 && conn.requests > 0 && !conn.stillOpen()) {
      this.dropClosedIdle(conn);
      return;
    }
    this.handOn(conn);
  }

  /**
   * Connections whose probation is over: one still open proves keep-alive, and every held one is
   * handed on (in the order they were released). Returns the next deadline.
   */
  private endProbation(now: number, polled = false): number {
    for (const conn of this.probation) {
      if (conn.readNs + PROBATION_NS > now) return conn.readNs + PROBATION_NS;
      if (!polled && !conn.canPeek) {
        // Without the addon a FIN is seen only once Node reads it, in the loop's poll phase, which
        // runs after the timers: after a loop stall past the probation the FIN that came 3 ms after
        // the answer was still unread here, the connection judged kept and a request lost
        // (test/client/close-after-stream.test.ts without the addon, on a core shared with a spinner:
        // 3 of 17 runs before, 0 of 25 after; once in CI). So judge after the next poll.
        setImmediate(() => {
          const next = this.endProbation(monotonicNs(), true);
          if (next < Infinity) this.probationTimer.arm(next);
        });
        return Infinity;
      }
      this.probation.delete(conn);
      if (!conn.stillOpen()) {
        this.dropClosedIdle(conn);
        continue;
      }
      this.keepsAfterStream = true;
      this.handOn(conn);
      for (const held of this.probation) {
        this.probation.delete(held);
        if (held.stillOpen()) this.handOn(held);
        else this.dropClosedIdle(held);
      }
      return Infinity;
    }
    return Infinity;
  }

  /** To the next waiter, or idle. */
  private handOn(conn: Http1Connection): void {
    const waiter = this.shiftWaiter();
    if (waiter !== undefined) {
      waiter.onConnection(conn, true);
      return;
    }
    conn.idleSinceMs = performance.now();
    this.idle.push(conn);
  }

  /**
   * A used connection that cannot be peeked (TLS, or no addon) is handed on only after the next
   * poll phase, so that Node has read a FIN that came in after the answer's last byte: two
   * setImmediate hops (the first runs before that poll). One event-loop turn of waiting per reuse,
   * paid only where the peek is not available (see Http1Connection.stillOpen).
   */
  private settle(conn: Http1Connection): void {
    this.settleNew.push(conn);
    if (this.settleTimer === null) this.settleTimer = setImmediate(this.settleTick);
  }

  private readonly settleTick = (): void => {
    this.settleTimer = null;
    const ready = this.settlePast;
    this.settlePast = this.settleNew;
    this.settleNew = [];
    for (const conn of ready) if (!conn.closed && !this.closing) this.handOn(conn);
    if (this.settlePast.length > 0 && this.settleTimer === null) this.settleTimer = setImmediate(this.settleTick);
    if (this.waiting > 0) this.fill();
  };

  /**
   * Open up to `count` connections ahead of time (warmup), paced like any other connect; they
   * go idle. `done` is called once every warmup connect has settled.
   */
  prewarm(count: number, done: () => void): void {
    this.warmupRemaining = Math.max(0, Math.min(count, this.options.maxConnections - this.open - this.connecting));
    this.warmupDone = done;
    this.warmupRetriesLeft = this.warmupRemaining;
    // Warm connections wait for the run: no eviction until startIdleEviction().
    if (this.evictionTimer !== null) clearInterval(this.evictionTimer);
    this.evictionTimer = null;
    this.fill();
    this.checkWarmupDone();
  }

  /** Close everything (end of run). Waiters still queued are told the pool closed. */
  close(): void {
    this.closing = true;
    if (this.evictionTimer !== null) clearInterval(this.evictionTimer);
    if (this.exhaustionTimer !== null) clearTimeout(this.exhaustionTimer);
    if (this.backoffTimer !== null) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
    this.connectTimer.cancel();
    for (const conn of [...this.pending]) conn.socket.destroy();
    for (const conn of this.idle.splice(0)) conn.destroy();
    for (const conn of [...this.retiring]) conn.destroy();
    this.probationTimer.cancel();
    for (const conn of [...this.probation]) conn.destroy();
    if (this.settleTimer !== null) clearImmediate(this.settleTimer);
    this.settleTimer = null;
    for (const conn of this.settleNew.splice(0).concat(this.settlePast.splice(0))) conn.destroy();
    this.checkWarmupDone();
    let w: PoolWaiter | undefined;
    while ((w = this.shiftWaiter()) !== undefined) w.onConnectFailure('ECANCELED', 'connection pool closed');
  }

  /**
   * The request on `conn` was written onto a kept-alive connection that the server then closed
   * without answering: it may have read the request, so it is a failure, not a retry.
   */
  noteStaleClose(conn: Http1Connection): void {
    this.stats.staleCloses++;
    // A close right after an answer that cost a request (llama-server closes ~8 ms after each
    // streamed answer: 1 of 12 requests was lost before three closes stopped reuse): stop now.
    if (monotonicNs() - conn.readNs < CLOSE_AFTER_RESPONSE_NS)
      this.closesAfterResponse = Math.max(this.closesAfterResponse, CLOSES_BEFORE_NO_REUSE - 1);
    this.noteCloseAfterResponse(conn);
  }

  /** A kept-alive connection the server closed before it carried the next request (found at the write). */
  noteServerClose(conn: Http1Connection): void {
    this.stats.serverCloses++;
    this.noteCloseAfterResponse(conn);
  }

  /** A connection that was about to be reused turned out closed by the server (FIN or reset pending). */
  private dropClosedIdle(conn: Http1Connection): void {
    if (conn.requests > 0) this.noteServerClose(conn);
    conn.destroy();
  }

  private noteCloseAfterResponse(conn: Http1Connection): void {
    // conn.readNs: the last read, i.e. the end of its last answer (nothing arrives while idle).
    if (monotonicNs() - conn.readNs >= CLOSE_AFTER_RESPONSE_NS) return;
    this.closesAfterResponse++;
    if (
      this.reuse &&
      this.closesAfterResponse >= CLOSES_BEFORE_NO_REUSE &&
      this.closesAfterResponse * 2 >= this.keptAlive
    ) {
      this.reuse = false;
      this.stats.reuseStopped = 1;
      this.probationTimer.cancel();
      for (const c of this.probation) {
        c.idleSinceMs = performance.now();
        this.retiring.add(c);
      }
      this.probation.clear();
      for (const c of this.idle.splice(0)) {
        if (c.requests > 0) {
          c.idleSinceMs = performance.now();
          this.retiring.add(c);
        } else this.idle.push(c); // warm, never used: still good for one request
      }
    }
  }

  onConnectionClosed(conn: Http1Connection): void {
    // The server closed a connection whose last answer said keep-alive, before it was reused.
    if (!conn.closedByClient && conn.requests > 0 && conn.parser.done && conn.parser.head.keepAlive) {
      this.stats.serverCloses++;
      this.noteCloseAfterResponse(conn);
    }
    this.open--;
    this.retiring.delete(conn);
    this.probation.delete(conn);
    if (this.settleTimer !== null) {
      let k = this.settleNew.indexOf(conn);
      if (k >= 0) this.settleNew.splice(k, 1);
      k = this.settlePast.indexOf(conn);
      if (k >= 0) this.settlePast.splice(k, 1);
    }
    const i = this.idle.lastIndexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    // A freed port may let a stalled connect through.
    this.exhausted = false;
    this.fill();
  }

  /** Start connects while there are waiters, budget and pacing room. */
  private fill(): void {
    if (this.closing || this.exhausted || this.backingOff) return;
    const o = this.options;
    if (this.retiring.size > 0) this.closeRetiringForWaiters();
    const settling = this.settleNew.length + this.settlePast.length;
    // While the endpoint is down, one probe at a time.
    const maxConnects = this.downSinceNs === this.downSinceNs ? 1 : o.maxConcurrentConnects;
    while (
      (this.waiting > this.connecting + settling || this.warmupRemaining > 0) &&
      this.connecting < maxConnects &&
      this.open + this.connecting < o.maxConnections
    ) {
      if (this.waiting <= this.connecting + settling) this.warmupRemaining--;
      this.startConnect();
      if (this.exhausted) return;
    }
  }

  private startConnect(): void {
    this.connecting++;
    this.stats.connectsStarted++;
    const { socket, sourceIp, sharedRead } = this.options.connector.connect(this.options.target);
    const conn = new Http1Connection(
      socket,
      sourceIp,
      this,
      this.options.target.tls ? 'secureConnect' : 'connect',
      sharedRead,
    );
    this.pending.add(conn);
    this.connectTimer.arm(conn.connectStartNs + this.options.connectTimeoutMs * 1e6);
  }

  onConnected(conn: Http1Connection): void {
    this.pending.delete(conn);
    this.connecting--;
    this.open++;
    if (this.open > this.stats.peakOpen) this.stats.peakOpen = this.open;
    this.backoffMs = CONNECT_BACKOFF_INITIAL_MS;
    this.downSinceNs = NaN;
    if (this.closing) {
      conn.destroy();
      return;
    }
    const waiter = this.shiftWaiter();
    if (waiter !== undefined) waiter.onConnection(conn, false);
    else this.release(conn);
    this.fill();
    this.checkWarmupDone();
  }

  onConnectFailed(conn: Http1Connection, err: NodeJS.ErrnoException): void {
    this.pending.delete(conn);
    this.connecting--;
    this.onConnectError(err);
  }

  /** Connects past the connect timeout fail with ETIMEDOUT; returns the next deadline. */
  private expireConnects(now: number): number {
    const timeoutNs = this.options.connectTimeoutMs * 1e6;
    for (const conn of this.pending) {
      const deadline = conn.connectStartNs + timeoutNs;
      if (deadline > now) return deadline;
      // Out of the set now: the error event (and onConnectFailed) comes on a later tick.
      this.pending.delete(conn);
      conn.socket.destroy(
        Object.assign(new Error(`no connection within --connect-timeout ${this.options.connectTimeoutMs / 1000} s`), {
          code: 'ETIMEDOUT',
        }),
      );
    }
    return Infinity;
  }

  /** No new connect for the backoff; it doubles up to its cap until a connect succeeds. */
  private startBackoff(): void {
    if (this.backingOff || this.closing) return;
    this.backingOff = true;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = null;
      this.backingOff = false;
      this.fill();
    }, this.backoffMs);
    this.backoffMs = Math.min(CONNECT_BACKOFF_MAX_MS, this.backoffMs * 2);
  }

  private onConnectError(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'ECONNFAILED';
    if (PORT_EXHAUSTION_CODES.has(code)) {
      if (this.waiting <= this.connecting) {
        // A warmup connect: warm what the ports allow and stop (no request waited).
        this.warmupRemaining = 0;
        this.checkWarmupDone();
        return;
      }
      // Back-pressure: keep the waiter queued; try again when a connection closes or shortly.
      this.stats.portExhaustionEvents++;
      this.exhausted = true;
      if (this.exhaustionTimer === null) {
        this.exhaustionTimer = setTimeout(() => {
          this.exhaustionTimer = null;
          this.exhausted = false;
          this.fill();
        }, EXHAUSTION_RETRY_MS);
      }
      return;
    }
    this.stats.connectsFailed++;
    const now = monotonicNs();
    if (this.open === 0 && this.downSinceNs !== this.downSinceNs) this.downSinceNs = now;
    const down = this.downSinceNs === this.downSinceNs;
    // Before any waiter is told: the request replacing a failed one must wait out the backoff.
    this.startBackoff();
    // Down: every waiter would only wait for the next probe, which fails as this one did. Only
    // those queued now: a failed request's replacement joins the queue behind them.
    let toFail = down ? this.waiting : Math.min(1, this.waiting);
    if (toFail === 0) {
      // A refused warmup connect means nobody is listening: stop warming (the run will report it).
      // Other failures (a timed-out SYN under a burst) are retried by the remaining warmup.
      if (code === 'ECONNREFUSED' || this.warmupRetriesLeft <= 0) this.warmupRemaining = 0;
      else {
        this.warmupRetriesLeft--;
        this.warmupRemaining++;
      }
    }
    while (toFail-- > 0) {
      const waiter = this.shiftWaiter();
      if (waiter === undefined) break;
      waiter.onConnectFailure(code, err.message);
    }
    const limit = this.options.endpointDownTimeoutMs ?? Infinity;
    if (down && !this.downReported && now - this.downSinceNs >= limit * 1e6 && !this.closing) {
      this.downReported = true;
      this.options.onEndpointDown?.(this.downSinceNs);
    }
    this.fill();
    this.checkWarmupDone();
  }

  private checkWarmupDone(): void {
    if (this.warmupDone !== null && (this.closing || (this.warmupRemaining === 0 && this.connecting === 0))) {
      const done = this.warmupDone;
      this.warmupDone = null;
      done();
    }
  }

  private shiftWaiter(): PoolWaiter | undefined {
    let w: PoolWaiter;
    do {
      if (this.waiterHead >= this.waiters.length) {
        this.waiters.length = 0;
        this.waiterHead = 0;
        return undefined;
      }
      w = this.waiters[this.waiterHead];
      this.waiterHead++;
    } while (this.withdrawn.size > 0 && this.withdrawn.delete(w));
    // Compact now and then so the queue array does not grow without bound.
    if (this.waiterHead > 1024 && this.waiterHead * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.waiterHead);
      this.waiterHead = 0;
    } else if (this.waiterHead === this.waiters.length) {
      this.waiters.length = 0;
      this.waiterHead = 0;
    }
    return w;
  }

  /** Waiters that cannot connect because retiring connections hold the budget: close the oldest of those. */
  private closeRetiringForWaiters(): void {
    let room = this.waiting - this.connecting - (this.options.maxConnections - this.open - this.connecting);
    for (const conn of this.retiring) {
      if (room <= 0) break;
      // Its close frees the slot (onConnectionClosed → fill) a turn later.
      if (!conn.closedByClient) {
        conn.destroy();
        room--;
      }
    }
  }

  private evictIdle(): void {
    if (this.retiring.size > 0) {
      const retireBefore = performance.now() - RETIRE_MS;
      for (const conn of this.retiring) if (conn.idleSinceMs <= retireBefore) conn.destroy();
    }
    const cutoff = performance.now() - this.options.maxIdleMs;
    // The stack is ordered by idle time: the stale ones are a prefix.
    let n = 0;
    while (n < this.idle.length && this.idle[n].idleSinceMs <= cutoff) n++;
    if (n === 0) return;
    for (const conn of this.idle.splice(0, n)) conn.destroy();
  }
}
