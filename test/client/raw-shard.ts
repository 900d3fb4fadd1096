/**
 * Test helpers: a raw `net` HTTP/1.1 server that counts every request it reads and lets a handler
 * misbehave on purpose, and a bounded in-process shard run against it.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { monotonicNs } from '../../src/record/clock.js';
import { unpackRecords } from '../../src/record/record-batch.js';
import type { RequestRecord } from '../../src/record/request-record.js';
import type { ShardPlan, ShardSummary } from '../../src/shard/shard-plan.js';
import { ShardRunner } from '../../src/shard/shard-runner.js';
import { loopbackPlan } from '../fixtures/shard-plan.js';

export interface RawRequest {
  socket: net.Socket;
  /** Accept order of the connection. */
  connIndex: number;
  /** Index of this request on its connection (0 = first). */
  onConn: number;
  /** Index over all requests the server read. */
  index: number;
}

export interface RawServer {
  port: number;
  /** Connections accepted. */
  connections(): number;
  /** Requests read whole (every attempt the server saw). */
  requests(): number;
  /** Remote addresses of the accepted connections, in order. */
  remoteAddresses(): string[];
  /** setTimeout cleared when the server closes. */
  later(ms: number, fn: () => void): void;
  close(): Promise<void>;
}

/** A TCP server that reads requests (Content-Length bodies) and hands each to `handler`. */
export async function rawServer(handler: (r: RawRequest) => void, host = '127.0.0.1'): Promise<RawServer> {
  let connections = 0;
  let requests = 0;
  const remotes: string[] = [];
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const connIndex = connections++;
    remotes.push(socket.remoteAddress ?? '');
    let onConn = 0;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('end', () => {
      if (!socket.writableEnded) socket.end();
    });
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let guard = 0; guard < 1000; guard++) {
        const he = buf.indexOf('\r\n\r\n');
        if (he < 0) return;
        const m = /\r\ncontent-length: *(\d+)/i.exec(buf.toString('latin1', 0, he));
        const len = m === null ? 0 : Number(m[1]);
        if (buf.length < he + 4 + len) return;
        buf = buf.subarray(he + 4 + len);
        handler({ socket, connIndex, onConn: onConn++, index: requests++ });
        if (socket.destroyed) return;
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    requests: () => requests,
    remoteAddresses: () => remotes,
    later(ms, fn) {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    },
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A complete JSON chat answer: `head` lines are added after the status line. */
export function jsonAnswer(statusLine = 'HTTP/1.1 200 OK', headers: string[] = []): string {
  const body = JSON.stringify({
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  });
  return [
    statusLine,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...headers,
    '',
    body,
  ].join('\r\n');
}

/** A complete streamed answer (chunked SSE) with keep-alive headers, as llama.cpp's server sends. */
export function sseAnswer(): string {
  const ev = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  const events =
    ev({ choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: null }] }) +
    ev({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
    ev({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }) +
    'data: [DONE]\n\n';
  return (
    'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\n' +
    `Transfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(events).toString(16)}\r\n${events}\r\n0\r\n\r\n`
  );
}

export function plan(port: number, overrides: Partial<ShardPlan> = {}, host = '127.0.0.1'): ShardPlan {
  return loopbackPlan(
    port,
    { request: { apiType: 'chat', model: 'test-model', streaming: false, maxOutputTokens: 16 }, ...overrides },
    { host },
  );
}

/** Run a shard to completion (bounded) and check one record per issued request. */
export async function runShard(
  p: ShardPlan,
  limitMs = 20_000,
): Promise<{ records: RequestRecord[]; summary: ShardSummary }> {
  const records: RequestRecord[] = [];
  const runner = new ShardRunner(p, { records: (b) => records.push(...unpackRecords(b)), progress: () => {} });
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      runner.abort();
      reject(new Error(`shard did not finish within ${limitMs} ms`));
    }, limitMs);
  });
  try {
    const summary = await Promise.race([runner.run(monotonicNs()), guard]);
    records.sort((a, b) => a.id - b.id);
    assert.equal(records.length, summary.issued, 'exactly one record per issued request');
    assert.equal(summary.completed + summary.failed, summary.issued);
    assert.equal(
      records.reduce((n, r) => n + r.retries, 0),
      summary.retries,
      'retries in records and summary agree',
    );
    for (const r of records) {
      if (r.connectStart === r.connectStart) {
        assert.equal(r.reused, false, `record ${r.id}: a request that paid a connect is not on a reused connection`);
        assert.ok(
          r.dispatched <= r.connectStart && r.connectStart <= r.connected && r.connected <= r.sent,
          `record ${r.id}: dispatched <= connectStart <= connected <= sent`,
        );
      } else if (r.connected === r.connected) {
        assert.ok(
          r.dispatched <= r.connected && r.connected <= r.sent,
          `record ${r.id}: dispatched <= connected <= sent`,
        );
      }
    }
    return { records, summary };
  } finally {
    clearTimeout(timer);
  }
}

export function failures(records: RequestRecord[]): string[] {
  return records.filter((r) => r.error !== '').map((r) => `${r.id} ${r.error}: ${r.errorMessage}`);
}
