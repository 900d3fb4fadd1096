import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ConnectionPool, type PoolWaiter } from '../../src/client/connection-pool.js';
import { Connector, type ConnectTarget } from '../../src/client/connector.js';
import type { Http1Connection } from '../../src/client/http1-connection.js';
import { monotonicNs } from '../../src/record/clock.js';

/** A TCP server on loopback that accepts and holds connections. */
async function holdingServer(): Promise<{
  port: number;
  open: () => number;
  accepted: () => number;
  close: () => Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    open: () => sockets.size,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function target(port: number): ConnectTarget {
  return { address: '127.0.0.1', port, tls: false, servername: '127.0.0.1', insecure: false };
}

/** Counts connects that have started but not finished. */
class CountingConnector extends Connector {
  inFlight = 0;
  peak = 0;
  override connect(t: ConnectTarget) {
    const out = super.connect(t);
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    const done = () => this.inFlight--;
    out.socket.once('connect', done);
    out.socket.once('error', done);
    return out;
  }
}

function waiter(): PoolWaiter & { conn: Promise<{ conn: Http1Connection; reused: boolean }> } {
  let resolve!: (v: { conn: Http1Connection; reused: boolean }) => void;
  let reject!: (e: Error) => void;
  const conn = new Promise<{ conn: Http1Connection; reused: boolean }>((res, rej) => ((resolve = res), (reject = rej)));
  return {
    conn,
    onConnection: (c, reused) => resolve({ conn: c, reused }),
    onConnectFailure: (code, message) => reject(new Error(`${code} ${message}`)),
  };
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('warmup opens every connection, never more connects in flight than the limit', async () => {
  const server = await holdingServer();
  const connector = new CountingConnector([]);
  const pool = new ConnectionPool({
    target: target(server.port),
    connector,
    maxConnections: 60,
    maxConcurrentConnects: 4,
    maxIdleMs: 0,
    connectTimeoutMs: 5000,
  });
  await new Promise<void>((r) => pool.prewarm(50, r));
  assert.equal(pool.openConnections, 50);
  assert.equal(pool.idleConnections, 50);
  assert.ok(connector.peak <= 4, `peak connects in flight ${connector.peak}`);
  assert.equal(connector.peak, 4, 'pacing used the whole window');
  await until(() => server.open() === 50, 2000);
  pool.close();
  await server.close();
});

test('on-demand growth is paced and bounded by maxConnections', async () => {
  const server = await holdingServer();
  const connector = new CountingConnector([]);
  const pool = new ConnectionPool({
    target: target(server.port),
    connector,
    maxConnections: 10,
    maxConcurrentConnects: 3,
    maxIdleMs: 0,
    connectTimeoutMs: 5000,
  });
  const waiters = Array.from({ length: 25 }, () => waiter());
  for (const w of waiters) pool.acquire(w);
  const first = await Promise.all(waiters.slice(0, 10).map((w) => w.conn));
  assert.equal(pool.openConnections, 10);
  assert.equal(pool.waiting, 15, 'the rest wait for a free connection');
  assert.ok(connector.peak <= 3);
  // Freeing connections hands them to waiters in order, as reused connections.
  for (const { conn } of first) pool.release(conn);
  const next = await Promise.all(waiters.slice(10, 20).map((w) => w.conn));
  assert.ok(next.every((x) => x.reused));
  assert.equal(pool.stats.connectsStarted, 10);
  pool.close();
  const cancelled = await Promise.allSettled(waiters.slice(20).map((w) => w.conn));
  assert.ok(
    cancelled.every((r) => r.status === 'rejected' && /ECANCELED/.test(String(r.reason))),
    'queued waiters are told the pool closed',
  );
  await server.close();
});

test('reuse is most-recently-idle first', async () => {
  const server = await holdingServer();
  const pool = new ConnectionPool({
    target: target(server.port),
    connector: new Connector([]),
    maxConnections: 3,
    maxConcurrentConnects: 3,
    maxIdleMs: 0,
    connectTimeoutMs: 5000,
  });
  const ws = [waiter(), waiter(), waiter()];
  for (const w of ws) pool.acquire(w);
  const [a, b, c] = await Promise.all(ws.map((w) => w.conn));
  pool.release(a.conn);
  pool.release(b.conn);
  pool.release(c.conn);
  const again = waiter();
  pool.acquire(again);
  const got = await again.conn;
  assert.equal(got.conn, c.conn, 'the last released connection is reused first');
  assert.equal(got.reused, true);
  pool.close();
  await server.close();
});

test('idle connections are closed after maxIdleMs; busy ones are kept', async () => {
  const server = await holdingServer();
  const pool = new ConnectionPool({
    target: target(server.port),
    connector: new Connector([]),
    maxConnections: 4,
    maxConcurrentConnects: 4,
    maxIdleMs: 150,
    connectTimeoutMs: 5000,
  });
  const ws = [waiter(), waiter(), waiter()];
  for (const w of ws) pool.acquire(w);
  const conns = await Promise.all(ws.map((w) => w.conn));
  pool.release(conns[0].conn);
  pool.release(conns[1].conn);
  await until(() => pool.idleConnections === 0, 3000);
  await until(() => pool.openConnections === 1, 3000);
  await until(() => server.open() === 1, 3000);
  pool.close();
  await server.close();
});

test('EADDRNOTAVAIL is back-pressure: counted, retried, every waiter still gets a connection', async () => {
  const server = await holdingServer();
  /** Fails the first `failures` connects the way the kernel does when local ports run out. */
  class ExhaustedConnector extends Connector {
    failures = 5;
    override connect(t: ConnectTarget) {
      if (this.failures > 0) {
        this.failures--;
        const socket = new net.Socket();
        setImmediate(() =>
          socket.destroy(Object.assign(new Error('connect EADDRNOTAVAIL'), { code: 'EADDRNOTAVAIL' })),
        );
        return { socket, sourceIp: '', sharedRead: false };
      }
      return super.connect(t);
    }
  }
  const pool = new ConnectionPool({
    target: target(server.port),
    connector: new ExhaustedConnector([]),
    maxConnections: 8,
    maxConcurrentConnects: 2,
    maxIdleMs: 0,
    connectTimeoutMs: 5000,
  });
  const ws = Array.from({ length: 6 }, () => waiter());
  for (const w of ws) pool.acquire(w);
  const got = await Promise.all(ws.map((w) => w.conn));
  assert.equal(got.length, 6);
  assert.ok(
    pool.stats.portExhaustionEvents >= 1 && pool.stats.portExhaustionEvents <= 5,
    `events ${pool.stats.portExhaustionEvents}`,
  );
  assert.equal(pool.stats.connectsFailed, 0, 'exhaustion is not a failure');
  pool.close();
  await server.close();
});

test('a refused connect fails only the waiter it was for', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const pool = new ConnectionPool({
    target: target(port),
    connector: new Connector([]),
    maxConnections: 2,
    maxConcurrentConnects: 2,
    maxIdleMs: 0,
    connectTimeoutMs: 5000,
  });
  const w = waiter();
  pool.acquire(w);
  await assert.rejects(w.conn, /ECONNREFUSED/);
  assert.equal(pool.stats.connectsFailed, 1);
  pool.close();
});

test('each new connection binds the next source IP, round-robin', async () => {
  const server = await holdingServer();
  const connector = new Connector(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  const locals: string[] = [];
  for (let i = 0; i < 6; i++) {
    const { socket, sourceIp } = connector.connect(target(server.port));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    assert.equal(socket.localAddress, sourceIp);
    locals.push(socket.localAddress!);
    socket.destroy();
  }
  assert.deepEqual(locals, ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.2', '127.0.0.3', '127.0.0.4']);
  const plain = new Connector([]).connect(target(server.port));
  await new Promise<void>((resolve) => plain.socket.once('connect', resolve));
  assert.equal(plain.sourceIp, '', 'no source IPs: the OS chooses');
  assert.equal(plain.sharedRead, true, 'plain TCP reads into the shared read buffer');
  plain.socket.destroy();
  await server.close();
});

/**
 * A black hole on loopback: a child process listens with a backlog of 1 and then blocks its only
 * thread (Atomics.wait: no CPU) so it never accepts. Once the accept queue is full (backlog + 1
 * connections), Linux drops further SYNs and a new connect hangs until a timeout ends it.
 */
async function blackHole(holdMs: number): Promise<{ port: number; fillers: net.Socket[]; close: () => void }> {
  const script =
    "const s=require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>{" +
    'process.stdout.write(String(s.address().port)+"\\n");' +
    `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,${holdMs});process.exit(0)})`;
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', () => reject(new Error('black hole exited early')));
  });
  // Fill the accept queue: connects complete in the kernel until it is full.
  const fillers: net.Socket[] = [];
  let connected = 0;
  for (let i = 0; i < 4; i++) {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    s.once('connect', () => connected++);
    fillers.push(s);
  }
  await until(() => connected >= 2, 2000);
  await new Promise((r) => setTimeout(r, 50));
  return {
    port,
    fillers,
    close: () => {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
    },
  };
}

test('--connect-timeout 150ms: a connect into a black hole fails 150–220 ms after it started (a 250 ms sweep: ≥ 250)', async () => {
  const hole = await blackHole(10_000);
  const pool = new ConnectionPool({
    target: target(hole.port),
    connector: new Connector([]),
    maxConnections: 4,
    maxConcurrentConnects: 4,
    maxIdleMs: 0,
    connectTimeoutMs: 150,
  });
  try {
    // Round 0 is not timed: the first failure pays one-time costs (code paths run for the first
    // time) that showed as 5–70 ms on a loaded machine, unrelated to when the timer fires.
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      const w = waiter();
      pool.acquire(w);
      await assert.rejects(w.conn, /ETIMEDOUT/);
      const ms = performance.now() - t0;
      if (i > 0) assert.ok(ms >= 149 && ms <= 220, `connect ${i} failed after ${ms.toFixed(1)} ms`);
      // Past the backoff the failure started, so the next connect starts at once.
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    pool.close();
    hole.close();
  }
});

test('a dead endpoint: refused connects back off (no flood), and the pool says when it has been down too long', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  let downSince = NaN;
  let downAt = NaN;
  const t0 = monotonicNs();
  const pool = new ConnectionPool({
    target: target(port),
    connector: new Connector([]),
    maxConnections: 4,
    maxConcurrentConnects: 4,
    maxIdleMs: 0,
    connectTimeoutMs: 5000,
    endpointDownTimeoutMs: 500,
    onEndpointDown: (since) => {
      downSince = since;
      downAt = monotonicNs();
    },
  });
  // A closed loop of 4: each failed request is replaced at once, as a concurrency schedule does.
  let failures = 0;
  let firstFailureNs = NaN;
  let stop = false;
  const slot: PoolWaiter = {
    onConnection: () => assert.fail('nobody listens'),
    onConnectFailure: (code) => {
      if (stop) return; // pool.close() cancels the ones still waiting
      assert.equal(code, 'ECONNREFUSED');
      if (failures === 0) firstFailureNs = monotonicNs();
      failures++;
      if (!stop) pool.acquire(slot);
    },
  };
  for (let i = 0; i < 4; i++) pool.acquire(slot);
  await new Promise((r) => setTimeout(r, 1500));
  stop = true;
  pool.close();
  // Backoff 20, 40, 80, … ms capped at 1 s: ~7 probes in 1.5 s, each failing the 4 waiting, plus
  // the first 4 connects started together. Without backoff: thousands (a refusal costs ~50 µs).
  assert.ok(failures >= 8 && failures <= 48, `${failures} failures in 1.5 s`);
  assert.ok(Number.isFinite(downAt), 'the endpoint was reported down');
  assert.ok(downSince >= t0 && downSince <= firstFailureNs, 'down since the first failure');
  assert.ok(
    (downAt - downSince) / 1e6 >= 500 && (downAt - downSince) / 1e6 < 1500,
    'reported after 0.5 s, at the next probe',
  );
});
