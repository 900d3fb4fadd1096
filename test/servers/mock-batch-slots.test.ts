import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { BatchSlots } from '../../src/servers/batch-slots.js';
import { startMockServer, type RunningMockServer } from '../../src/servers/mock-openai-server.js';

test('batch slots: FIFO, a waiter that left is skipped, 0 = unlimited', () => {
  const started: string[] = [];
  const slots = new BatchSlots(2);
  let bGone = false;
  slots.admit({ start: () => started.push('a'), gone: () => false });
  slots.admit({ start: () => started.push('x'), gone: () => false });
  slots.admit({ start: () => started.push('b'), gone: () => bGone });
  slots.admit({ start: () => started.push('c'), gone: () => false });
  assert.deepEqual(started, ['a', 'x']);
  assert.equal(slots.queued, 2);
  assert.equal(slots.peakQueued, 2);
  bGone = true;
  slots.release(0);
  assert.deepEqual(started, ['a', 'x', 'c']);
  assert.equal(slots.running, 2);
  slots.release(0);
  slots.release(0);
  assert.equal(slots.running, 0);
  const unlimited = new BatchSlots(0);
  let freedAt = 0;
  slots.admit({ start: () => {}, gone: () => false });
  slots.admit({ start: () => {}, gone: () => false });
  slots.admit({ start: (at) => (freedAt = at), gone: () => false });
  slots.release(123);
  assert.equal(freedAt, 123, 'a waiter starts at the time the slot freed');
  for (let i = 0; i < 1000; i++) unlimited.admit({ start: () => {}, gone: () => false });
  assert.equal(unlimited.running, 1000);
  assert.equal(unlimited.queued, 0);
});

/** One non-streaming completion; resolves with its latency in ms. */
function complete(agent: http.Agent, server: RunningMockServer, tokens: number): Promise<number> {
  const body = JSON.stringify({ model: 'm', prompt: 'hello', max_tokens: tokens, stream: false });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${server.url}/v1/completions`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.once('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error('status'))));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

/** `clients` closed loops for `ms`; completions counted in the window after `warmMs`. */
async function closedLoop(server: RunningMockServer, clients: number, tokens: number, ms: number, warmMs: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const t0 = performance.now();
  let counted = 0;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() - t0 < ms) {
        const latency = await complete(agent, server, tokens);
        const end = performance.now() - t0;
        if (end >= warmMs && end < ms) {
          counted++;
          latencies.push(latency);
        }
      }
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { rate: counted / ((ms - warmMs) / 1000), p50: latencies[Math.floor(latencies.length / 2)] };
}

test('mock --max-concurrency: throughput flattens at slots / (ttft + itl·(tokens − 1)), latency rises past it', async () => {
  const ttftMs = 20;
  const itlMs = 5;
  const tokens = 8;
  const slots = 8;
  const generationMs = ttftMs + itlMs * (tokens - 1); // 55 ms
  const capacity = slots / (generationMs / 1000); // 145.5 req/s
  const server = await startMockServer({ ttftMs, itlMs, maxConcurrency: slots });
  try {
    const below = await closedLoop(server, 4, tokens, 1500, 300);
    const past = await closedLoop(server, 32, tokens, 3000, 500);
    // 4 clients fit in 8 slots: no queue, latency is the generation.
    assert.ok(below.p50 < generationMs + 10, `p50 ${below.p50} ms below capacity`);
    // 32 clients on 8 slots: the throughput is the capacity (timer lateness costs ~1 ms a generation).
    assert.ok(Math.abs(past.rate - capacity) / capacity < 0.05, `rate ${past.rate} vs capacity ${capacity}`);
    // ... and each request waits for three generations ahead of it.
    assert.ok(past.p50 > 3 * generationMs, `p50 ${past.p50} ms past capacity`);
  } finally {
    await server.close();
  }
});
