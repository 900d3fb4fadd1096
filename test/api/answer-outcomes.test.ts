/**
 * What an answer's body means for its request, end to end through a ShardRunner against raw
 * servers on 127.0.0.1: empty answers, compressed answers, oversized events and bodies (bounded
 * memory, fast failure), cached prompt tokens and per-chunk token counts. Each case ends every
 * request with exactly one outcome.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import zlib from 'node:zlib';
import { monotonicNs } from '../../src/record/clock.js';
import { unpackRecords } from '../../src/record/record-batch.js';
import type { RequestRecord } from '../../src/record/request-record.js';
import type { ShardPlan } from '../../src/shard/shard-plan.js';
import { ShardRunner } from '../../src/shard/shard-runner.js';
import { loopbackPlan } from '../fixtures/shard-plan.js';

interface Served {
  port: number;
  /** Request heads received, in order. */
  heads: string[];
  /** Bytes the handler managed to write before the client went away. */
  written(): number;
  close(): Promise<void>;
}

/** A TCP server that answers each request (Content-Length bodies, keep-alive) with `handler`. */
async function rawServer(handler: (socket: net.Socket, index: number) => void): Promise<Served> {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  let written = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const write = socket.write.bind(socket);
    socket.write = ((data: string | Buffer, ...rest: never[]) => {
      written += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      return write(data, ...rest);
    }) as typeof socket.write;
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const he = buf.indexOf('\r\n\r\n');
        if (he < 0) return;
        const head = buf.toString('latin1', 0, he);
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        const len = m === null ? 0 : Number(m[1]);
        if (buf.length < he + 4 + len) return;
        buf = buf.subarray(he + 4 + len);
        heads.push(head);
        handler(socket, heads.length - 1);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    heads,
    written: () => written,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function plan(port: number, overrides: Partial<ShardPlan> = {}): ShardPlan {
  return loopbackPlan(port, {
    request: { apiType: 'chat', model: 'm', streaming: true, maxOutputTokens: 16 },
    maxConnections: 16,
    maxConcurrentConnects: 16,
    requestTimeoutMs: 20_000,
    ...overrides,
  });
}

async function run(p: ShardPlan): Promise<RequestRecord[]> {
  const records: RequestRecord[] = [];
  const runner = new ShardRunner(p, { records: (b) => records.push(...unpackRecords(b)), progress: () => {} });
  const summary = await runner.run(monotonicNs());
  assert.equal(records.length, summary.issued, 'one record per request');
  return records.sort((a, b) => a.id - b.id);
}

const chunked = (text: string | Buffer) => {
  const b = typeof text === 'string' ? Buffer.from(text) : text;
  return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
};
const SSE_HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
const sse = (obj: unknown) => `data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`;
const delta = (d: object, finish: string | null = null, extra: object = {}) =>
  sse({ choices: [{ index: 0, delta: d, finish_reason: finish }], ...extra });
function jsonAnswer(body: string | Buffer, headers = 'Content-Type: application/json\r\n'): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${headers}Content-Length: ${b.length}\r\n\r\n`), b]);
}

async function oneAnswer(answer: (s: net.Socket) => void, overrides: Partial<ShardPlan> = {}): Promise<RequestRecord> {
  const server = await rawServer((s) => answer(s));
  try {
    const [r] = await run(plan(server.port, overrides));
    return r;
  } finally {
    await server.close();
  }
}

// ---------- item 2: empty answers ----------

test('a 200 event stream with no event, or only a role chunk and [DONE], is empty_response', async () => {
  for (const body of ['', delta({ role: 'assistant', content: '' }) + sse('[DONE]'), ': keep-alive\n\n']) {
    const r = await oneAnswer((s) => s.write(SSE_HEAD + (body ? chunked(body).toString() : '') + '0\r\n\r\n'));
    assert.equal(r.error, 'empty_response', JSON.stringify(body));
    assert.match(r.errorMessage, /no token and no finish reason/);
  }
});

test('a stream with a finish reason but no token is a real 0-token answer (max_tokens 0, an immediate stop)', async () => {
  const body = delta({ role: 'assistant', content: '' }) + delta({}, 'length') + sse('[DONE]');
  const r = await oneAnswer((s) => s.write(SSE_HEAD + chunked(body).toString() + '0\r\n\r\n'));
  assert.equal(r.error, '', r.errorMessage);
  assert.equal(r.finishReason, 'length');
  assert.equal(r.outputTokens, 0);
});

test('JSON {"choices": []} is empty_response; content "" with a finish reason is a success', async () => {
  const streaming = { request: { apiType: 'chat' as const, model: 'm', streaming: false } };
  const empty = await oneAnswer((s) => s.write(jsonAnswer('{"choices": []}')), streaming);
  assert.equal(empty.error, 'empty_response');
  const noFinish = await oneAnswer(
    (s) => s.write(jsonAnswer('{"choices":[{"message":{"role":"assistant","content":""}}]}')),
    streaming,
  );
  assert.equal(noFinish.error, 'empty_response');
  const zero = await oneAnswer(
    (s) => s.write(jsonAnswer('{"choices":[{"message":{"content":""},"finish_reason":"length"}]}')),
    streaming,
  );
  assert.equal(zero.error, '', zero.errorMessage);
  const ok = await oneAnswer((s) => s.write(jsonAnswer('{"choices":[{"message":{"content":"hi"}}]}')), streaming);
  assert.equal(ok.error, '', ok.errorMessage);
});

// ---------- item 3: compression ----------

const jsonOk = JSON.stringify({
  choices: [{ message: { content: 'hello' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 2 } },
});

test('requests say Accept-Encoding: identity', async () => {
  const server = await rawServer((s) => s.write(jsonAnswer(jsonOk)));
  try {
    await run(plan(server.port, { request: { apiType: 'chat', model: 'm', streaming: false } }));
    assert.match(server.heads[0], /\r\nAccept-Encoding: identity(\r\n|$)/);
  } finally {
    await server.close();
  }
});

test('a compressed JSON body is decoded (gzip, x-gzip, deflate both forms, br), with the output capped', async () => {
  const nonStreaming = { request: { apiType: 'chat' as const, model: 'm', streaming: false } };
  const cases: [string, Buffer][] = [
    ['gzip', zlib.gzipSync(jsonOk)],
    ['x-gzip', zlib.gzipSync(jsonOk)],
    ['deflate', zlib.deflateSync(jsonOk)],
    ['deflate', zlib.deflateRawSync(jsonOk)],
    ['br', zlib.brotliCompressSync(jsonOk)],
  ];
  for (const [enc, body] of cases) {
    const r = await oneAnswer(
      (s) => s.write(jsonAnswer(body, `Content-Type: application/json\r\nContent-Encoding: ${enc}\r\n`)),
      nonStreaming,
    );
    assert.equal(r.error, '', `${enc}: ${r.errorMessage}`);
    assert.equal(r.finishReason, 'stop');
    assert.equal(r.outputTokens, 1);
  }
  // A small bomb: 1 KB that inflates to 8 MB, past a 1 MB cap.
  const bomb = zlib.gzipSync(Buffer.alloc(8 << 20, 0x20));
  const r = await oneAnswer(
    (s) => s.write(jsonAnswer(bomb, 'Content-Type: application/json\r\nContent-Encoding: gzip\r\n')),
    { ...nonStreaming, maxResponseBytes: 1 << 20 },
  );
  assert.equal(r.error, 'response_too_large');
});

test('a compressed event stream and an unknown encoding fail with unsupported_content_encoding', async () => {
  const body = zlib.gzipSync(delta({ content: 'hi' }) + delta({}, 'stop') + sse('[DONE]'));
  const r = await oneAnswer((s) =>
    s.write(
      Buffer.concat([
        Buffer.from(
          'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n',
        ),
        chunked(body),
        Buffer.from('0\r\n\r\n'),
      ]),
    ),
  );
  assert.equal(r.error, 'unsupported_content_encoding');
  assert.match(r.errorMessage, /Content-Encoding: gzip/);
  const zstd = await oneAnswer(
    (s) => s.write(jsonAnswer(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]), 'Content-Encoding: zstd\r\n')),
    { request: { apiType: 'chat', model: 'm', streaming: false } },
  );
  assert.equal(zstd.error, 'unsupported_content_encoding');
  assert.match(zstd.errorMessage, /zstd/);
});

test('a gzip error body is shown decoded, and a binary one is described, never shown raw', async () => {
  const gz = zlib.gzipSync('{"error":{"message":"model not loaded"}}');
  const r = await oneAnswer((s) =>
    s.write(
      Buffer.concat([
        Buffer.from(
          `HTTP/1.1 503 Service Unavailable\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`,
        ),
        gz,
      ]),
    ),
  );
  assert.equal(r.error, 'http_status');
  assert.match(r.errorMessage, /model not loaded/);
  const binary = Buffer.from([0x1f, 0x8b, 0, 1, 2, 0xff, 0xfe, 3, 4]);
  const b = await oneAnswer((s) =>
    s.write(Buffer.concat([Buffer.from(`HTTP/1.1 500 Oops\r\nContent-Length: ${binary.length}\r\n\r\n`), binary])),
  );
  assert.equal(b.error, 'http_status');
  assert.match(b.errorMessage, /9-byte binary body, not shown/);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(r.errorMessage + b.errorMessage, /[\u0000-\u0008\u000e-\u001f\ufffd]/);
});

// ---------- item 9: oversized events and bodies ----------

/** Peak growth of the process's external (Buffer) memory while fn runs, sampled every 5 ms. */
async function peakBufferGrowth<T>(fn: () => Promise<T>): Promise<{ result: T; peak: number }> {
  const base = process.memoryUsage().arrayBuffers;
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)), 5);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

test('one giant SSE line (50 MB) fails fast with event_too_large, memory bounded, the rest unread', async () => {
  const piece = Buffer.alloc(1 << 20, 0x61);
  const { result: r, peak } = await peakBufferGrowth(() =>
    oneAnswer(
      (s) => {
        s.write(SSE_HEAD + chunked('data: {"choices":[{"delta":{"content":"').toString());
        let sent = 0;
        const more = () => {
          while (sent < 50 && !s.destroyed) {
            sent++;
            if (!s.write(chunked(piece))) return void s.once('drain', more);
          }
        };
        more();
      },
      { maxEventBytes: 2 << 20 },
    ),
  );
  assert.equal(r.error, 'event_too_large');
  assert.match(r.errorMessage, /--max-event-bytes 2097152/);
  assert.ok(r.end - r.sent < 2e9, `failed fast (${(r.end - r.sent) / 1e6} ms)`);
  assert.ok(peak < 40 << 20, `buffer memory grew by ${peak >> 20} MiB`);
});

test('an endless line (never an LF) fails with event_too_large at the cap', async () => {
  const server = await rawServer((s) => {
    s.write(SSE_HEAD);
    const piece = chunked(Buffer.alloc(64 * 1024, 0x62));
    const more = () => {
      while (!s.destroyed) if (!s.write(piece)) return void s.once('drain', more);
    };
    more();
  });
  try {
    const [r] = await run(plan(server.port, { maxEventBytes: 1 << 20 }));
    assert.equal(r.error, 'event_too_large');
    // The client stopped at the cap: the server got rid of at most the cap plus socket buffers.
    assert.ok(server.written() < 32 << 20, `server wrote ${server.written() >> 20} MiB`);
  } finally {
    await server.close();
  }
});

test('a 50 MB JSON body fails with response_too_large: at the head with Content-Length, at the cap when chunked', async () => {
  const nonStreaming = { request: { apiType: 'chat' as const, model: 'm', streaming: false } };
  const known = await oneAnswer((s) => {
    s.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${50 << 20}\r\n\r\n{"choices":[`);
  }, nonStreaming);
  assert.equal(known.error, 'response_too_large');
  assert.match(known.errorMessage, /Content-Length 52428800/);

  // 16 concurrent chunked 50 MB bodies, each cut at a 4 MiB cap (shard budget: 8 × 4 MiB).
  const piece = chunked(Buffer.alloc(1 << 20, 0x20));
  const server = await rawServer((s) => {
    s.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    let sent = 0;
    const more = () => {
      while (sent < 50 && !s.destroyed) {
        sent++;
        if (!s.write(piece)) return void s.once('drain', more);
      }
      if (!s.destroyed) s.write('0\r\n\r\n');
    };
    more();
  });
  try {
    const { result: records, peak } = await peakBufferGrowth(() =>
      run(
        plan(server.port, {
          ...nonStreaming,
          concurrency: 16,
          maxRequests: 16,
          samples: [{ prompt: 'x' }],
          maxResponseBytes: 4 << 20,
        }),
      ),
    );
    assert.equal(records.length, 16);
    for (const r of records) assert.equal(r.error, 'response_too_large', r.errorMessage);
    // Without the caps the client held 16 × 50 MB; now at most the budget (32 MiB) plus slack.
    assert.ok(peak < 120 << 20, `buffer memory grew by ${peak >> 20} MiB`);
  } finally {
    await server.close();
  }
});

test('an error body that never ends is cut at --max-response-bytes: http_status with its excerpt, no wait', async () => {
  const server = await rawServer((s) => {
    s.write('HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n');
    s.write(chunked('{"error":{"message":"boom"}}'));
    const piece = chunked(Buffer.alloc(64 * 1024, 0x20));
    const more = () => {
      while (!s.destroyed) if (!s.write(piece)) return void s.once('drain', more);
    };
    more();
  });
  try {
    const [r] = await run(plan(server.port, { maxResponseBytes: 1 << 20 }));
    assert.equal(r.error, 'http_status');
    assert.match(r.errorMessage, /^HTTP 500 from .*boom/);
    assert.ok(server.written() < 32 << 20, `server wrote ${server.written() >> 20} MiB`);
  } finally {
    await server.close();
  }
});

// ---------- item 16: cached prompt tokens; item 19: per-chunk counts ----------

test('cached prompt tokens are recorded from usage.prompt_tokens_details (stream and JSON), -1 when absent', async () => {
  const body =
    delta({ content: 'a' }) +
    sse({
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 9 } },
    }) +
    sse('[DONE]');
  const streamed = await oneAnswer((s) => s.write(SSE_HEAD + chunked(body).toString() + '0\r\n\r\n'));
  assert.equal(streamed.error, '', streamed.errorMessage);
  assert.equal(streamed.cachedTokens, 9);
  const json = await oneAnswer((s) => s.write(jsonAnswer(jsonOk)), {
    request: { apiType: 'chat', model: 'm', streaming: false },
  });
  assert.equal(json.cachedTokens, 2);
  const none = await oneAnswer((s) => s.write(SSE_HEAD + chunked(delta({ content: 'a' }, 'stop')) + '0\r\n\r\n'));
  assert.equal(none.cachedTokens, -1);
});

test('per-chunk counts (continuous usage): an empty-content chunk the server counts is its own token arrival', async () => {
  const u = (c: number) => ({ usage: { prompt_tokens: 5, completion_tokens: c } });
  const parts = [
    delta({ role: 'assistant', content: '' }, null, u(0)),
    delta({ content: 'a' }, null, u(1)),
    delta({ content: '' }, null, u(2)),
    delta({ content: '😀' }, null, u(3)),
    delta({}, 'stop', u(3)) + sse('[DONE]'),
  ];
  const server = await rawServer((s) => {
    s.write(SSE_HEAD);
    let i = 0;
    const next = () => {
      if (s.destroyed) return;
      if (i < parts.length) {
        s.write(chunked(parts[i++]));
        setTimeout(next, 15);
      } else s.write('0\r\n\r\n');
    };
    next();
  });
  try {
    for (const captureText of [false, true]) {
      const [r] = await run(plan(server.port, { captureText }));
      assert.equal(r.error, '', r.errorMessage);
      assert.equal(r.outputTokens, 3);
      assert.equal(r.chunkTimes.length, 3, 'three token arrivals, the counted empty chunk among them');
      const gaps = [r.chunkTimes[1] - r.chunkTimes[0], r.chunkTimes[2] - r.chunkTimes[1]];
      for (const g of gaps) assert.ok(g > 5e6 && g < 200e6, `ITL ${g / 1e6} ms is one chunk gap, not two`);
    }
  } finally {
    await server.close();
  }
});
