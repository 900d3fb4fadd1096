/**
 * Deadlines fire on time: --request-timeout within a few ms (one timer at the oldest in-flight
 * deadline, not a 1 s sweep), and a --duration run whose requests hang ends after its drain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monotonicNs } from '../../src/record/clock.js';
import { RequestErrorCode } from '../../src/record/request-record.js';
import { neverAnswer, plan, rawServer, runShard, trickleForever } from './shard-kit.js';

test('--request-timeout 200ms ends each trickling request as timeout 200–230 ms after it was sent', async () => {
  const server = await rawServer(trickleForever);
  try {
    const { records } = await runShard(
      plan(server.port, { pattern: 'concurrency', concurrency: 4, maxRequests: 12, requestTimeoutMs: 200 }),
    );
    assert.equal(records.length, 12);
    for (const r of records) {
      assert.equal(r.error, RequestErrorCode.timeout, `record ${r.id}: ${r.error} ${r.errorMessage}`);
      const ms = (r.end - r.sent) / 1e6;
      // 1 s sweep: ~200–1,200 ms. Loose enough for a loaded 2-core machine.
      assert.ok(ms >= 200 && ms <= 230, `record ${r.id}: timed out ${ms.toFixed(1)} ms after it was sent`);
    }
  } finally {
    await server.close();
  }
});

test('--duration 1s --drain-timeout 1s against a server that never answers: done in ~2 s, all cancelled_at_end', async () => {
  const server = await rawServer(neverAnswer);
  try {
    const { records, elapsedMs } = await runShard(
      plan(server.port, {
        pattern: 'concurrency',
        concurrency: 4,
        maxRequests: Infinity,
        durationNs: 1e9,
        drainTimeoutMs: 1000,
        requestTimeoutMs: 600_000,
      }),
      { limitMs: 10_000 },
    );
    assert.ok(elapsedMs < 2500, `the run took ${elapsedMs.toFixed(0)} ms`);
    assert.equal(records.length, 4, 'the four hung requests, nothing else');
    for (const r of records) {
      assert.equal(r.error, RequestErrorCode.cancelledAtEnd, `record ${r.id}: ${r.error}`);
      assert.ok(Number.isFinite(r.sent), 'they had been sent');
      const ms = (r.end - r.sent) / 1e6;
      assert.ok(ms >= 1900 && ms <= 2300, `cancelled ${ms.toFixed(0)} ms after sending (1 s window + 1 s drain)`);
    }
  } finally {
    await server.close();
  }
});

test('a --duration run that drains in time keeps every answer (the drain only bounds)', async () => {
  // Answers after 300 ms: requests sent near the end of the 0.5 s window finish during the drain.
  const server = await rawServer((s) => setTimeout(() => s.destroyed || trickleEnd(s), 300));
  try {
    const { records } = await runShard(
      plan(server.port, { concurrency: 2, maxRequests: Infinity, durationNs: 0.5e9, drainTimeoutMs: 5000 }),
    );
    assert.ok(records.length >= 2);
    assert.ok(
      records.every((r) => r.error === ''),
      records.map((r) => r.error).join(','),
    );
  } finally {
    await server.close();
  }
});

function trickleEnd(s: import('node:net').Socket): void {
  const head = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
  const body =
    `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] })}\n\n` +
    'data: [DONE]\n\n';
  s.write(`${head}${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`);
}

test('the drain runs from the end of the window, not from the last Poisson arrival', async () => {
  const server = await rawServer(neverAnswer);
  try {
    const startNs = monotonicNs();
    // 3 req/s for 1 s: the last arrival is typically well before the window ends.
    const { records } = await runShard(
      plan(server.port, {
        pattern: 'poisson',
        qps: 3,
        maxRequests: Infinity,
        durationNs: 1e9,
        drainTimeoutMs: 1000,
        seed: 5,
      }),
      { startNs, limitMs: 10_000 },
    );
    assert.ok(records.length > 0);
    for (const r of records) {
      assert.equal(r.error, RequestErrorCode.cancelledAtEnd);
      const atMs = (r.end - startNs) / 1e6;
      assert.ok(
        atMs >= 1995 && atMs < 2300,
        `cancelled ${atMs.toFixed(0)} ms after the start (window 1 s + drain 1 s)`,
      );
    }
  } finally {
    await server.close();
  }
});
