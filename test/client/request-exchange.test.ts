/**
 * RequestExchange + ConnectionPool + Connector, driven through a ShardRunner against small raw
 * servers on 127.0.0.1 that send hand-made bytes. Every case checks that each issued request
 * ends in exactly one record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { monotonicNs } from '../../src/record/clock.js';
import { unpackRecords } from '../../src/record/record-batch.js';
import type { RequestRecord } from '../../src/record/request-record.js';
import type { ShardPlan, ShardSummary } from '../../src/shard/shard-plan.js';
import { ShardRunner } from '../../src/shard/shard-runner.js';
import { loopbackPlan } from '../fixtures/shard-plan.js';

const MS = 1e6;

// ---------- a raw server ----------

interface RawRequest {
  socket: net.Socket;
  /** Index of the connection (accept order). */
  connIndex: number;
  /** Index of this request on its connection (0 = first). */
  onConn: number;
  /** Index over all requests. */
  index: number;
  head: string;
  body: string;
}

interface RawServer {
  port: number;
  connections(): number;
  requests(): number;
  /** setTimeout that is cleared when the server closes. */
  later(ms: number, fn: () => void): void;
  close(): Promise<void>;
}

/** A TCP server that parses requests (keep-alive, Content-Length bodies) and lets `handler` write raw bytes. */
async function rawServer(
  handler: (r: RawRequest) => void,
  onConnect?: (socket: net.Socket) => void,
): Promise<RawServer> {
  let connections = 0;
  let requests = 0;
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer((socket) => {
    const connIndex = connections++;
    let onConn = 0;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnect?.(socket);
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let guard = 0; guard < 1000; guard++) {
        const he = buf.indexOf('\r\n\r\n');
        if (he < 0) return;
        const head = buf.toString('latin1', 0, he);
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        const len = m === null ? 0 : Number(m[1]);
        if (buf.length < he + 4 + len) return;
        const body = buf.toString('utf8', he + 4, he + 4 + len);
        buf = buf.subarray(he + 4 + len);
        handler({ socket, connIndex, onConn: onConn++, index: requests++, head, body });
        if (socket.destroyed) return;
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    requests: () => requests,
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

/** One chunk of a chunked body. */
function chunk(text: string): string {
  return `${Buffer.byteLength(text, 'utf8').toString(16)}\r\n${text}\r\n`;
}

const SSE_HEAD =
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n';
const LAST_CHUNK = '0\r\n\r\n';

function sse(obj: unknown): string {
  return `data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`;
}
const role = () => sse({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
const content = (text: string) => sse({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
const finish = (reason = 'stop') => sse({ choices: [{ index: 0, delta: {}, finish_reason: reason }] });
const usage = (p: number, c: number) =>
  sse({ choices: [], usage: { prompt_tokens: p, completion_tokens: c, total_tokens: p + c } });
const DONE = sse('[DONE]');

function write(socket: net.Socket, text: string): void {
  if (!socket.destroyed) socket.write(text);
}

/** A complete, immediate streaming answer. */
function quickStream(r: RawRequest, text = 'ok'): void {
  write(r.socket, SSE_HEAD + chunk(role() + content(text) + finish() + usage(3, 1) + DONE) + LAST_CHUNK);
}

// ---------- running a shard ----------

function plan(port: number, overrides: Partial<ShardPlan> = {}): ShardPlan {
  return loopbackPlan(port, { captureText: true, ...overrides });
}

/** Run a shard to completion (bounded), and check the one-record-per-request contract. */
async function runShard(p: ShardPlan, limitMs = 20_000): Promise<{ records: RequestRecord[]; summary: ShardSummary }> {
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
    assert.deepEqual(
      records.map((r) => r.id),
      Array.from({ length: summary.issued }, (_, i) => i),
      'ids are unique and complete',
    );
    assert.equal(summary.inFlight, 0);
    assert.equal(summary.completed + summary.failed, summary.issued);
    for (const r of records) {
      assert.ok(Number.isFinite(r.end), `record ${r.id} has an end`);
      assert.ok(r.end >= r.dispatched, `record ${r.id}: end >= dispatched`);
      if (Number.isFinite(r.sent))
        assert.ok(
          r.sent >= r.connected && r.connected >= r.dispatched,
          `record ${r.id}: dispatched <= connected <= sent`,
        );
    }
    return { records, summary };
  } finally {
    clearTimeout(timer);
  }
}

function ms(ns: number): number {
  return ns / MS;
}

// ---------- (a) streaming timings ----------

test('(a) SSE with a known delay before the first token: TTFT, chunk times, usage token count', async () => {
  const DELAY = 150;
  const GAP = 40;
  let requestBody = '';
  const server = await rawServer((r) => {
    requestBody = r.body;
    // head and the role-only chunk at once: first_chunk is early, first_token is not
    write(r.socket, SSE_HEAD + chunk(': keep-alive\n\n' + role()));
    server.later(DELAY, () => {
      write(r.socket, chunk(content('héllo')));
      server.later(GAP, () => {
        // two token events in one write
        write(r.socket, chunk(content(' 世界') + content(' 🚀')));
        server.later(GAP, () => write(r.socket, chunk(finish() + usage(9, 5) + DONE) + LAST_CHUNK));
      });
    });
  });
  try {
    const { records } = await runShard(plan(server.port));
    const r = records[0];
    assert.equal(r.error, '', r.errorMessage);
    assert.equal(r.status, 200);
    assert.equal(r.reused, false);
    assert.equal(r.streaming, true);
    const ttft = ms(r.firstToken - r.sent);
    assert.ok(ttft >= DELAY - 3 && ttft < DELAY + 100, `TTFT ${ttft} ms for a ${DELAY} ms delay`);
    const firstChunk = ms(r.firstChunk - r.sent);
    assert.ok(
      firstChunk >= 0 && firstChunk < DELAY * 0.8,
      `first chunk ${firstChunk} ms (the role chunk came at once)`,
    );
    assert.ok(r.headers >= r.sent && r.headers <= r.firstChunk);
    assert.equal(r.chunkTimes.length, 3, 'three token-bearing events');
    assert.equal(r.chunkTimes[0], r.firstToken);
    // the second write left the server DELAY + GAP after the request: a lower bound whatever the client's lag
    const second = ms(r.chunkTimes[1] - r.sent);
    assert.ok(second >= DELAY + GAP - 3, `second token at ${second} ms`);
    const gap = ms(r.chunkTimes[1] - r.chunkTimes[0]);
    assert.ok(gap < GAP + 100, `inter-token gap ${gap} ms`);
    assert.ok(r.chunkTimes[2] >= r.chunkTimes[1]);
    assert.ok(ms(r.chunkTimes[2] - r.chunkTimes[1]) < GAP / 2, 'events of one write arrive together');
    assert.ok(r.end >= r.chunkTimes[2]);
    assert.equal(r.tokenSource, 'usage');
    assert.equal(r.outputTokens, 5);
    assert.equal(r.inputTokens, 9);
    assert.equal(r.finishReason, 'stop');
    assert.equal(r.text, 'héllo 世界 🚀');
    const body = JSON.parse(requestBody) as {
      model: string;
      stream: boolean;
      stream_options: unknown;
      messages: unknown;
    };
    assert.equal(body.model, 'test-model');
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.deepEqual(body.messages, [{ role: 'user', content: 'hello' }]);
  } finally {
    await server.close();
  }
});

test('(a) without a usage chunk the output tokens are the token-bearing chunks', async () => {
  const server = await rawServer((r) => {
    write(r.socket, SSE_HEAD + chunk(role() + content('a')));
    server.later(20, () =>
      write(r.socket, chunk(content('b') + sse({ choices: [{ index: 0, delta: { reasoning_content: 'c' } }] }))),
    );
    server.later(40, () => write(r.socket, chunk(content('') + finish('length') + DONE) + LAST_CHUNK));
  });
  try {
    const { records } = await runShard(plan(server.port));
    const r = records[0];
    assert.equal(r.error, '', r.errorMessage);
    assert.equal(r.tokenSource, 'chunks');
    assert.equal(r.outputTokens, 3);
    assert.equal(r.chunkTimes.length, 3);
    assert.equal(r.inputTokens, -1, 'no usage: prompt tokens unmeasured (-1), not 0');
    assert.equal(r.finishReason, 'length');
  } finally {
    await server.close();
  }
});

test('(a) a close-delimited SSE body (no length, no chunking) completes when the server closes', async () => {
  const server = await rawServer((r) => {
    write(r.socket, 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n' + role() + content('x'));
    server.later(20, () => {
      write(r.socket, content('y') + usage(2, 2) + DONE);
      r.socket.end();
    });
  });
  try {
    const { records } = await runShard(plan(server.port, { maxRequests: 2 }));
    for (const r of records) {
      assert.equal(r.error, '', r.errorMessage);
      assert.equal(r.chunkTimes.length, 2);
      assert.equal(r.outputTokens, 2);
      assert.equal(r.reused, false, 'a close-delimited connection is never reused');
    }
    assert.equal(server.connections(), 2);
  } finally {
    await server.close();
  }
});

test('(b) a close-delimited body ended by a reset (RST), not a clean close → connection_reset, not success', async () => {
  const server = await rawServer((r) => {
    write(r.socket, 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n' + role() + content('x'));
    server.later(20, () => r.socket.resetAndDestroy());
  });
  try {
    const { records } = await runShard(plan(server.port));
    assert.equal(records[0].error, 'connection_reset', 'a truncated body must not count as a complete answer');
    assert.match(records[0].errorMessage, /in the middle of the response \(ECONNRESET\)/);
  } finally {
    await server.close();
  }
});

test('(a) 100 Continue before the real response is skipped', async () => {
  const server = await rawServer((r) => {
    write(r.socket, 'HTTP/1.1 100 Continue\r\n\r\n');
    server.later(10, () => quickStream(r, 'after-continue'));
  });
  try {
    const { records } = await runShard(plan(server.port));
    assert.equal(records[0].error, '', records[0].errorMessage);
    assert.equal(records[0].status, 200);
    assert.equal(records[0].text, 'after-continue');
  } finally {
    await server.close();
  }
});

test('non-streaming JSON answer: first_token at the body, usage counts, keep-alive reuse', async () => {
  const answer = JSON.stringify({
    id: 'c',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'héllo' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
  });
  const server = await rawServer((r) => {
    write(
      r.socket,
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(answer)}\r\n\r\n`,
    );
    server.later(30, () => write(r.socket, answer));
  });
  try {
    const { records } = await runShard(
      plan(server.port, { maxRequests: 3, request: { apiType: 'chat', model: 'm', streaming: false } }),
    );
    for (const r of records) {
      assert.equal(r.error, '', r.errorMessage);
      assert.equal(r.streaming, false);
      assert.equal(r.text, 'héllo');
      assert.equal(r.outputTokens, 2);
      assert.equal(r.tokenSource, 'usage');
      assert.equal(r.finishReason, 'stop');
      assert.equal(r.chunkTimes.length, 0);
      // the server wrote the body 30 ms after it got the request (robust to client-side lag)
      assert.ok(ms(r.firstToken - r.sent) >= 27, `first_token ${ms(r.firstToken - r.sent)} ms: when the body arrived`);
    }
    assert.deepEqual(
      records.map((r) => r.reused),
      [false, true, true],
    );
    assert.equal(server.connections(), 1);
  } finally {
    await server.close();
  }
});

// ---------- (b) connection closed mid-response ----------

test('(b) the server closes the socket mid-stream → connection_reset', async () => {
  const server = await rawServer((r) => {
    write(r.socket, SSE_HEAD + chunk(role() + content('partial')));
    server.later(30, () => r.socket.destroy());
  });
  try {
    const { records } = await runShard(plan(server.port, { maxRequests: 2 }));
    for (const r of records) {
      assert.equal(r.error, 'connection_reset');
      assert.equal(r.status, 200);
      assert.match(r.errorMessage, /in the middle of the response/);
      assert.ok(r.errorMessage.includes(`127.0.0.1:${server.port}`));
      assert.equal(r.chunkTimes.length, 1, 'the token that did arrive is kept');
    }
    assert.equal(server.requests(), 2, 'a response that had started is never retried');
  } finally {
    await server.close();
  }
});

test('(b) a Content-Length body cut short by a graceful close → connection_reset', async () => {
  const server = await rawServer((r) => {
    write(r.socket, 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"choices":');
    r.socket.end();
  });
  try {
    const { records } = await runShard(
      plan(server.port, { request: { apiType: 'chat', model: 'm', streaming: false } }),
    );
    assert.equal(records[0].error, 'connection_reset');
    assert.match(records[0].errorMessage, /in the middle of the response/);
  } finally {
    await server.close();
  }
});

test('(b) a fresh connection closed before any response → connection_reset, not retried', async () => {
  const server = await rawServer((r) => r.socket.destroy());
  try {
    const { records } = await runShard(plan(server.port));
    assert.equal(records[0].error, 'connection_reset');
    assert.match(records[0].errorMessage, /before any response/);
    assert.equal(records[0].status, 0);
    assert.equal(server.requests(), 1);
  } finally {
    await server.close();
  }
});

// ---------- (c) HTTP error status ----------

test('(c) HTTP 500 with a body → http_status with the body excerpt', async () => {
  const body = JSON.stringify({ error: { message: 'CUDA out of memory', type: 'InternalServerError', code: 500 } });
  const server = await rawServer((r) => {
    write(
      r.socket,
      `HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  });
  try {
    const { records } = await runShard(plan(server.port, { maxRequests: 2 }));
    for (const r of records) {
      assert.equal(r.error, 'http_status');
      assert.equal(r.status, 500);
      assert.ok(r.errorMessage.includes('HTTP 500'), r.errorMessage);
      assert.ok(r.errorMessage.includes('CUDA out of memory'), r.errorMessage);
    }
    assert.equal(records[1].reused, true, 'an error answer on a keep-alive connection leaves it reusable');
  } finally {
    await server.close();
  }
});

test('(c) HTTP 429 chunked error body and 404 with an empty body', async () => {
  const server = await rawServer((r) => {
    if (r.index === 0)
      write(
        r.socket,
        'HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n' +
          chunk('rate ') +
          chunk('limited') +
          LAST_CHUNK,
      );
    else write(r.socket, 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  });
  try {
    const { records } = await runShard(plan(server.port, { maxRequests: 2 }));
    assert.equal(records[0].status, 429);
    assert.match(records[0].errorMessage, /HTTP 429 .*rate limited/);
    assert.equal(records[1].status, 404);
    assert.match(records[1].errorMessage, /\(empty body\)/);
  } finally {
    await server.close();
  }
});

// ---------- (d) not HTTP ----------

test('(d) non-HTTP garbage → malformed_response', async () => {
  const server = await rawServer((r) => {
    write(r.socket, 'SSH-2.0-OpenSSH_9.6\r\n\r\n');
  });
  try {
    const { records } = await runShard(plan(server.port, { maxRequests: 2 }));
    for (const r of records) {
      assert.equal(r.error, 'malformed_response');
      assert.match(r.errorMessage, /did not answer with valid HTTP\/1\.1/);
      assert.equal(r.reused, false, 'a connection that spoke garbage is not reused');
    }
  } finally {
    await server.close();
  }
});

test('(d) garbage without a blank line from a peer that then waits → malformed_response at once, not a timeout', async () => {
  // an HTTP/2-only server answering an HTTP/1.1 request with a SETTINGS frame, and holding the connection
  const server = await rawServer((r) => {
    r.socket.write(Buffer.from([0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100]));
  });
  try {
    const { records } = await runShard(plan(server.port, { requestTimeoutMs: 8000 }));
    const r = records[0];
    assert.equal(r.error, 'malformed_response');
    assert.ok(ms(r.end - r.sent) < 1000, `failed after ${ms(r.end - r.sent)} ms`);
  } finally {
    await server.close();
  }
});

test('(d) a bad chunk size in a 200 stream → malformed_response', async () => {
  const server = await rawServer((r) => write(r.socket, SSE_HEAD + chunk(role()) + 'zz\r\n'));
  try {
    const { records } = await runShard(plan(server.port));
    assert.equal(records[0].error, 'malformed_response');
    assert.equal(records[0].status, 200);
    assert.match(records[0].errorMessage, /chunk size/);
  } finally {
    await server.close();
  }
});

// ---------- (e) bad events in a good stream ----------

test('(e) a malformed JSON event in the stream → malformed_sse (the stream still completes)', async () => {
  const server = await rawServer((r) => {
    write(
      r.socket,
      SSE_HEAD +
        chunk(role() + content('a') + 'data: {"choices":[{"delta":{"content":"b"\n\n' + content('c') + DONE) +
        LAST_CHUNK,
    );
  });
  try {
    const { records } = await runShard(plan(server.port, { maxRequests: 2 }));
    for (const r of records) {
      assert.equal(r.error, 'malformed_sse');
      assert.match(r.errorMessage, /not JSON/);
      assert.equal(r.chunkTimes.length, 2);
    }
    assert.equal(records[1].reused, true, 'the connection is fine: the HTTP framing was');
  } finally {
    await server.close();
  }
});

test('(e) an error object or `event: error` inside a 200 stream → stream_error', async () => {
  const server = await rawServer((r) => {
    const bad =
      r.index === 0 ? sse({ error: { message: 'engine died' } }) : 'event: error\ndata: {"message":"overloaded"}\n\n';
    write(r.socket, SSE_HEAD + chunk(role() + content('a') + bad) + LAST_CHUNK);
  });
  try {
    const { records } = await runShard(plan(server.port, { maxRequests: 2 }));
    assert.equal(records[0].error, 'stream_error');
    assert.match(records[0].errorMessage, /engine died/);
    assert.equal(records[1].error, 'stream_error');
    assert.match(records[1].errorMessage, /overloaded/);
  } finally {
    await server.close();
  }
});

test('(e) a null choice in a stream event does not crash the shard', async () => {
  // Regression: applyStreamEvent read `finish_reason` of null and threw out of the socket data handler.
  const server = await rawServer((r) => {
    write(r.socket, SSE_HEAD + chunk(role() + sse('{"choices":[null]}') + content('ok') + DONE) + LAST_CHUNK);
  });
  try {
    const { records } = await runShard(plan(server.port));
    assert.equal(records[0].error, '', records[0].errorMessage);
    assert.equal(records[0].chunkTimes.length, 1);
  } finally {
    await server.close();
  }
});

// ---------- (f) stale keep-alive connections ----------

test('(f) the server reads a request on a kept-alive connection and closes it unanswered → connection_reset, not resent', async () => {
  // Answers the first request on each connection (keep-alive, no Connection: close); a second
  // request on the same connection is read and met with a close. The server saw it: sending it
  // again would hide the attempt (it used to be resent, and the server read 7 requests for 4).
  const server = await rawServer((r) => {
    if (r.onConn === 0) quickStream(r);
    else r.socket.destroy();
  });
  try {
    const { records, summary } = await runShard(plan(server.port, { maxRequests: 4 }));
    // The first stale close right after an answer stops reuse (it cost a request): the rest go
    // out on new connections (before, reuse went on and the 4th request was lost the same way).
    assert.deepEqual(
      records.map((r) => r.error),
      ['', 'connection_reset', '', ''],
    );
    assert.deepEqual(
      records.map((r) => r.reused),
      [false, true, false, false],
    );
    assert.equal(server.requests(), 4, 'each request was sent once');
    assert.equal(server.connections(), 3);
    assert.equal(summary.retries, 0);
    assert.equal(summary.staleCloses, 1);
  } finally {
    await server.close();
  }
});

test('(f) the server half-closes after each response without saying Connection: close → every request succeeds', async () => {
  const server = await rawServer((r) => {
    quickStream(r);
    r.socket.end();
  });
  try {
    const { records } = await runShard(plan(server.port, { maxRequests: 5 }));
    for (const r of records) assert.equal(r.error, '', `record ${r.id}: ${r.errorMessage}`);
    // each connection answers one request; none is written onto a connection the server has closed
    assert.equal(server.connections(), 5);
    assert.equal(server.requests(), 5);
  } finally {
    await server.close();
  }
});

test('(f) node:http closing each connection a random 0–3 ms after its response, under Poisson load: no request is sent twice', async () => {
  // (node 20 adds a second to keepAliveTimeout, so the idle close is done by hand: same race,
  // the close lands before, during or after the next request's bytes.) A close that lands after
  // the request was written is a failure — the server may have read it — so the check is the
  // accounting: the server never sees more requests than were issued, and it answered every success.
  let seed = 12345;
  const nextDelay = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 4;
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;
  let seen = 0;
  const server = http.createServer((req, res) => {
    seen++;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(role() + content('x') + usage(1, 1) + DONE);
      res.on('finish', () => {
        const t = setTimeout(() => {
          timers.delete(t);
          req.socket.destroy();
        }, nextDelay());
        timers.add(t);
      });
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const { records, summary } = await runShard(
      plan(port, { pattern: 'poisson', qps: 500, concurrency: 0, maxRequests: 200, seed: 7 }),
    );
    assert.equal(records.length, 200);
    assert.ok(seen <= 200, `the server saw ${seen} requests for 200 issued`);
    assert.ok(seen >= summary.completed);
    for (const r of records.filter((x) => x.error !== ''))
      assert.equal(r.error, 'connection_reset', `${r.id}: ${r.errorMessage}`);
    assert.ok(connections > 20, `the server closed connections (${connections} opened)`);
    assert.equal(
      summary.reuseStoppedPools,
      1,
      'the pool stopped reusing connections the server closes after each answer',
    );
  } finally {
    for (const t of timers) clearTimeout(t);
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

// ---------- (g) connect failures ----------

test('(g) connection refused → connect_refused for every request', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const { records, summary } = await runShard(plan(port, { maxRequests: 3 }));
  assert.equal(records.length, 3);
  for (const r of records) {
    assert.equal(r.error, 'connect_refused');
    assert.equal(r.status, 0);
    assert.ok(Number.isNaN(r.sent), 'never sent');
    assert.match(r.errorMessage, /connection refused/);
  }
  assert.equal(summary.failed, 3);
  assert.equal(summary.connectsFailed, 3);
});

// ---------- timeouts and load ----------

test('a server that accepts and never answers → timeout', async () => {
  const server = await rawServer(() => {});
  try {
    const { records } = await runShard(plan(server.port, { requestTimeoutMs: 300 }));
    assert.equal(records[0].error, 'timeout');
    assert.ok(ms(records[0].end - records[0].dispatched) >= 300);
  } finally {
    await server.close();
  }
});

test('concurrency 4 over keep-alive connections: every request succeeds, connections are reused', async () => {
  const server = await rawServer((r) => {
    write(r.socket, SSE_HEAD + chunk(role()));
    server.later(2 + (r.index % 5), () =>
      write(r.socket, chunk(content(`t${r.index}`) + usage(1, 1) + DONE) + LAST_CHUNK),
    );
  });
  try {
    const { records } = await runShard(
      plan(server.port, { concurrency: 4, maxConnections: 4, maxConcurrentConnects: 4, maxRequests: 60 }),
    );
    assert.equal(records.length, 60);
    for (const r of records) assert.equal(r.error, '', r.errorMessage);
    assert.equal(server.connections(), 4);
    assert.equal(records.filter((r) => r.reused).length, 56);
  } finally {
    await server.close();
  }
});

test('responses trickled in small pieces on 16 connections at once decode exactly (reads share one buffer)', async () => {
  // Every response echoes its own prompt, so bytes kept from another connection's read would show.
  const pieces = (text: string): string[] => {
    const out: string[] = [];
    for (let i = 0; i < text.length;) {
      const n = 1 + ((i * 7919) % 37);
      out.push(text.slice(i, i + n));
      i += n;
    }
    return out;
  };
  const trickle = (r: RawRequest, text: string): void => {
    const parts = pieces(text);
    const next = (k: number): void => {
      if (k >= parts.length) return;
      write(r.socket, parts[k]);
      server.later(k % 3 === 0 ? 1 : 0, () => next(k + 1));
    };
    next(0);
  };
  const promptOf = (r: RawRequest): string => /"content":"(p\d+)"/.exec(r.body)![1];
  const server = await rawServer((r) => {
    const p = promptOf(r);
    const n = Number(p.slice(1)) + 1;
    if (r.head.includes('"stream":true') || r.body.includes('"stream":true')) {
      const events = role() + content(p) + content('-' + p) + finish() + usage(3, n) + DONE;
      trickle(r, SSE_HEAD + chunk(events) + LAST_CHUNK);
    } else {
      const answer = JSON.stringify({
        id: 'c',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: p }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: n, total_tokens: 3 + n },
      });
      trickle(
        r,
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(answer)}\r\n\r\n${answer}`,
      );
    }
  });
  const samples = Array.from({ length: 16 }, (_, i) => ({ prompt: `p${i}` }));
  const common = { samples, concurrency: 16, maxConnections: 16, maxConcurrentConnects: 16, maxRequests: 96 };
  try {
    for (const [streaming, captureText] of [
      [true, true],
      [true, false],
      [false, true],
    ] as const) {
      const { records } = await runShard(
        plan(server.port, {
          ...common,
          captureText,
          request: { apiType: 'chat', model: 'm', streaming, maxOutputTokens: 16 },
        }),
      );
      assert.equal(records.length, 96);
      for (const r of records) {
        const what = `streaming=${streaming} captureText=${captureText} record ${r.id}`;
        assert.equal(r.error, '', `${what}: ${r.errorMessage}`);
        assert.equal(r.outputTokens, r.sampleIndex + 1, what);
        assert.equal(r.finishReason, 'stop', what);
        if (captureText)
          assert.equal(r.text, streaming ? `p${r.sampleIndex}-p${r.sampleIndex}` : `p${r.sampleIndex}`, what);
        if (streaming) assert.equal(r.chunkTimes.length, 2, what);
      }
    }
  } finally {
    await server.close();
  }
});
