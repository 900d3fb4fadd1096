/**
 * Running a ShardRunner in-process against small loopback servers (port 0) for the shard tests:
 * a plan builder, a bounded run that checks one record per issued request, and servers that
 * answer at once, trickle forever, or hang.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { unpackRecords } from '../../src/record/record-batch.js';
import type { RequestRecord } from '../../src/record/request-record.js';
import type { ShardPlan, ShardProgress, ShardSummary } from '../../src/shard/shard-plan.js';
import { ShardRunner } from '../../src/shard/shard-runner.js';
import { monotonicNs } from '../../src/record/clock.js';
import { loopbackPlan } from '../fixtures/shard-plan.js';

export function plan(port: number, overrides: Partial<ShardPlan> = {}): ShardPlan {
  return loopbackPlan(port, {
    request: { apiType: 'chat', model: 'test-model', streaming: true, maxOutputTokens: 4 },
    maxConnections: 16,
    maxConcurrentConnects: 16,
    ...overrides,
  });
}

export interface ShardRun {
  records: RequestRecord[];
  summary: ShardSummary;
  /** Wall time from the start to the summary, ms. */
  elapsedMs: number;
}

/**
 * Run a shard from `startNs` (default now) to its summary, aborting it (and failing) after
 * `limitMs`. `during` gets the runner once it runs (to abort it, read its progress).
 */
export async function runShard(
  p: ShardPlan,
  opts: {
    /** Connections per endpoint opened before the clock starts. */
    warmup?: number;
    limitMs?: number;
    /** Start time (absolute monotonic ns), or a function of the moment warmup ended. */
    startNs?: number | (() => number);
    during?: (r: ShardRunner) => void;
    onProgress?: (p: ShardProgress) => void;
  } = {},
): Promise<ShardRun> {
  const limitMs = opts.limitMs ?? 20_000;
  const records: RequestRecord[] = [];
  const runner = new ShardRunner(p, {
    records: (b) => records.push(...unpackRecords(b)),
    progress: (pr) => opts.onProgress?.(pr),
  });
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      runner.abort();
      reject(new Error(`shard did not finish within ${limitMs} ms`));
    }, limitMs);
  });
  const t0 = performance.now();
  try {
    if (opts.warmup !== undefined) await runner.warmup(opts.warmup);
    const running = runner.run(typeof opts.startNs === 'function' ? opts.startNs() : (opts.startNs ?? monotonicNs()));
    opts.during?.(runner);
    const summary = await Promise.race([running, guard]);
    const elapsedMs = performance.now() - t0;
    assert.equal(records.length, summary.issued, 'exactly one record per issued request');
    assert.equal(summary.completed + summary.failed, summary.issued);
    assert.equal(summary.inFlight, 0);
    return { records, summary, elapsedMs };
  } finally {
    clearTimeout(timer);
  }
}

export interface TestServer {
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Stop listening and destroy every connection (a server that dies). */
  close(): Promise<void>;
}

/** A raw TCP server; `onRequest` gets the socket at each request head it reads. */
export async function rawServer(onRequest: (socket: net.Socket) => void): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      // One request per head + Content-Length body.
      for (;;) {
        const headEnd = buf.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const m = /content-length:\s*(\d+)/i.exec(buf.slice(0, headEnd));
        const total = headEnd + 4 + (m ? Number(m[1]) : 0);
        if (buf.length < total) return;
        buf = buf.slice(total);
        onRequest(socket);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const SSE_HEAD =
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n';

function chunk(text: string): string {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
}
const token = (t: string) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: t }, finish_reason: null }] })}\n\n`;
const finish = `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })}\n\ndata: [DONE]\n\n`;

/** Answers every request at once with a one-token stream (keep-alive). */
export function answerQuickly(socket: net.Socket): void {
  socket.write(SSE_HEAD + chunk(token('ok') + finish) + '0\r\n\r\n');
}

/**
 * Starts a stream and sends a token every 20 ms forever (until the client goes): bytes keep
 * arriving, so only --request-timeout can end it.
 */
export function trickleForever(socket: net.Socket): void {
  socket.write(SSE_HEAD + chunk(token('a')));
  const t = setInterval(() => {
    if (socket.destroyed) clearInterval(t);
    else socket.write(chunk(token('a')));
  }, 20);
  socket.once('close', () => clearInterval(t));
}

/** Reads the request and never answers. */
export function neverAnswer(): void {}
