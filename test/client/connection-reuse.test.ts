/**
 * Connection reuse against servers that close: every attempt the server saw is counted, nothing
 * is resent that the server may have read, and a connection the server has closed (or asked to
 * close) is never reused. Real raw `net` servers on loopback that count what they read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runIdleReset, type IdleResetResult } from './idle-reset-fixture.js';
import { failures, jsonAnswer, plan, rawServer, runShard, sseAnswer } from './raw-shard.js';

test('a server that resets every 3rd request: it read exactly the issued requests, and its resets are the failures', async () => {
  let resets = 0;
  const server = await rawServer((r) => {
    if (r.index % 3 === 2) {
      resets++;
      r.socket.resetAndDestroy();
    } else {
      r.socket.write(jsonAnswer());
    }
  });
  try {
    const { records, summary } = await runShard(
      plan(server.port, { maxRequests: 60, concurrency: 4, maxConnections: 4, maxConcurrentConnects: 4 }),
    );
    assert.equal(server.requests(), summary.issued, 'every attempt the server read is an issued request');
    assert.equal(summary.failed, resets, 'each reset is one failed request');
    assert.equal(summary.retries, 0);
    for (const r of records.filter((x) => x.error !== '')) assert.equal(r.error, 'connection_reset', r.errorMessage);
    assert.ok(
      records.some((r) => r.reused),
      'connections were reused between the resets',
    );
  } finally {
    await server.close();
  }
});

test('a server that closes after every response although its headers say keep-alive: N requests read for N issued, none fails', async () => {
  // Like llama.cpp's server after each streamed answer. The close is a FIN (the server still
  // reads, so a request written onto the closing connection would be counted here).
  const server = await rawServer((r) => {
    r.socket.end(sseAnswer());
  });
  try {
    const { records, summary } = await runShard(
      plan(server.port, {
        request: { apiType: 'chat', model: 'm', streaming: true, maxOutputTokens: 16 },
        maxRequests: 40,
        concurrency: 4,
        maxConnections: 4,
        maxConcurrentConnects: 4,
      }),
    );
    assert.deepEqual(failures(records), []);
    assert.equal(server.requests(), 40, 'no request was written onto a connection the server had closed');
    assert.equal(server.connections(), 40);
    assert.equal(summary.retries, 0);
    assert.ok(summary.serverCloses > 0, `server closes counted (${summary.serverCloses})`);
    assert.equal(summary.reuseStoppedPools, 1, 'the pool learned that the server closes after every response');
    for (const r of records) {
      assert.equal(r.reused, false);
      assert.ok(r.connected - r.connectStart > 0, `record ${r.id} paid its connect`);
    }
  } finally {
    await server.close();
  }
});

for (const [name, statusLine, headers] of [
  ['Connection: close', 'HTTP/1.1 200 OK', ['Connection: close']],
  ['Connection: keep-alive, close', 'HTTP/1.1 200 OK', ['Connection: keep-alive, close']],
  ['HTTP/1.0 without keep-alive', 'HTTP/1.0 200 OK', []],
] as const) {
  test(`an answer with ${name} is not reused: N requests on N connections, none fails`, async () => {
    // The server keeps the connection open and still reads: a request sent on it would be counted.
    const server = await rawServer((r) => {
      r.socket.write(jsonAnswer(statusLine, [...headers]));
    });
    try {
      const { records, summary } = await runShard(plan(server.port, { maxRequests: 5 }));
      assert.deepEqual(failures(records), []);
      assert.equal(server.requests(), 5);
      assert.equal(server.connections(), 5);
      assert.equal(summary.closeRequested, 5);
      for (const r of records) assert.equal(r.reused, false);
    } finally {
      await server.close();
    }
  });
}

test('HTTP/1.0 with Connection: keep-alive is reused', async () => {
  const server = await rawServer((r) => {
    r.socket.write(jsonAnswer('HTTP/1.0 200 OK', ['Connection: keep-alive']));
  });
  try {
    const { records } = await runShard(plan(server.port, { maxRequests: 5 }));
    assert.deepEqual(failures(records), []);
    assert.equal(server.connections(), 1);
    assert.deepEqual(
      records.map((r) => r.reused),
      [false, true, true, true, true],
    );
  } finally {
    await server.close();
  }
});

test('a server that FINs idle connections 0–3 ms after each answer, under Poisson load: every attempt it read is issued, each it left unanswered is the one failure', async () => {
  // Half-close: the server keeps reading after its FIN, so any request written onto a connection
  // it has closed is counted (and never answered).
  let seed = 99;
  const nextDelay = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 4;
  let unanswered = 0;
  const idleFin = new Map<object, NodeJS.Timeout>();
  const server = await rawServer((r) => {
    clearTimeout(idleFin.get(r.socket));
    if (r.socket.writableEnded) {
      unanswered++;
      return;
    }
    r.socket.write(jsonAnswer());
    const s = r.socket;
    idleFin.set(
      s,
      setTimeout(() => s.end(), nextDelay()),
    );
  });
  try {
    const { records, summary } = await runShard(
      plan(server.port, {
        pattern: 'poisson',
        qps: 600,
        concurrency: 0,
        maxRequests: 200,
        seed: 7,
        maxConnections: 8,
        maxConcurrentConnects: 8,
      }),
    );
    assert.equal(server.requests(), summary.issued, 'nothing was resent: the server read each issued request once');
    assert.equal(summary.failed, unanswered, 'the failures are exactly the requests the server read and dropped');
    for (const r of records.filter((x) => x.error !== '')) assert.equal(r.error, 'connection_reset', r.errorMessage);
    assert.equal(summary.staleCloses, unanswered);
    assert.ok(summary.serverCloses + summary.staleCloses > 0, `server closes counted: ${JSON.stringify(summary)}`);
  } finally {
    for (const t of idleFin.values()) clearTimeout(t);
    await server.close();
  }
});

test('a connection the server reset while idle: with the addon it is seen before the write; without, the refused write is retried and counted', async () => {
  const withPeek = await runIdleReset();
  const fixture = fileURLToPath(new URL('./idle-reset-fixture.ts', import.meta.url));
  const child = spawnSync(
    process.execPath,
    [...process.execArgv.filter((a) => !a.startsWith('--test')), fixture, 'run'],
    { encoding: 'utf8', timeout: 30_000, env: { ...process.env, LLM_LOADGEN_NO_ADDON: '1' } },
  );
  assert.equal(child.status, 0, child.stderr);
  const noPeek = JSON.parse(child.stdout.trim().split('\n').pop()!) as IdleResetResult;
  for (const r of [withPeek, noPeek]) {
    assert.deepEqual(r.errors, ['', '', '', '', '', ''], JSON.stringify(r));
    assert.equal(r.serverRequests, 6, 'the server read each request once');
    assert.equal(
      r.retries.reduce((a, b) => a + b, 0),
      r.poolRetries,
    );
  }
  if (withPeek.peek) {
    assert.equal(withPeek.poolRetries, 0, 'the reset was seen before anything was written');
    assert.ok(withPeek.serverCloses > 0);
  }
  assert.equal(noPeek.peek, false);
  assert.ok(noPeek.poolRetries > 0, `the refused writes were sent again and counted: ${JSON.stringify(noPeek)}`);
});

test('once reuse has stopped, a request waiting for the one connection slot does not wait for a server that keeps it open', async () => {
  // Closes after the first four answers (the pool stops reusing), then keeps connections open.
  const server = await rawServer((r) => {
    if (r.index < 4) r.socket.end(jsonAnswer());
    else r.socket.write(jsonAnswer());
  });
  try {
    const started = performance.now();
    const { records, summary } = await runShard(plan(server.port, { maxRequests: 8 }));
    assert.deepEqual(failures(records), []);
    assert.equal(summary.reuseStoppedPools, 1);
    assert.equal(server.requests(), 8);
    assert.ok(performance.now() - started < 900, `took ${Math.round(performance.now() - started)} ms`);
  } finally {
    await server.close();
  }
});
