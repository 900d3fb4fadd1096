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
  readonly stats: PoolStats = { connectsStarted: 0, connectsFailed: 0, portExhaustionEvents: 0, peakOpen: 0 };

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
    const conn = this.idle.pop();
    if (conn !== undefined) {
      waiter.onConnection(conn, true);
      return;
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
      conn.destroy();
      return;
    }
    const waiter = this.shiftWaiter();
    if (waiter !== undefined) {
      waiter.onConnection(conn, true);
      return;
    }
    conn.idleSinceMs = performance.now();
    this.idle.push(conn);
  }

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
    this.checkWarmupDone();
    let w: PoolWaiter | undefined;
    while ((w = this.shiftWaiter()) !== undefined) w.onConnectFailure('ECANCELED', 'connection pool closed');
  }

  onConnectionClosed(conn: Http1Connection): void {
    this.open--;
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
    // While the endpoint is down, one probe at a time.
    const maxConnects = this.downSinceNs === this.downSinceNs ? 1 : o.maxConcurrentConnects;
    while (
      (this.waiting > this.connecting || this.warmupRemaining > 0) &&
      this.connecting < maxConnects &&
      this.open + this.connecting < o.maxConnections
    ) {
      if (this.waiting <= this.connecting) this.warmupRemaining--;
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

  private evictIdle(): void {
    const cutoff = performance.now() - this.options.maxIdleMs;
    // The stack is ordered by idle time: the stale ones are a prefix.
    let n = 0;
    while (n < this.idle.length && this.idle[n].idleSinceMs <= cutoff) n++;
    if (n === 0) return;
    for (const conn of this.idle.splice(0, n)) conn.destroy();
  }
}
