/**
 * A server that closes the connection a few milliseconds after each streamed (chunked) answer,
 * although its head says keep-alive, and drops whatever request arrived before its FIN — as
 * llama.cpp's server does (docs/real-engine.md): no request is lost, because the pool reuses no
 * connection of a chunked answer before one has stayed open PROBATION_NS. And a chunked server that
 * keeps its connections still gets them reused once that is known. Raw `net` servers on loopback.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { failures, plan, rawServer, runShard, sseAnswer } from './raw-shard.js';

/** llama-server's FIN comes 0.04–0.3 ms after the answer when idle, more under load. */
const CLOSE_AFTER_MS = 3;

/**
 * The closing server runs in a process of its own, as llama-server does: in this process its 3 ms
 * timer would share the shard's event loop, and a loop stalled past the pool's probation would
 * send the FIN after the pool had judged the connection kept.
 */
const CLOSING_SERVER = `
const net = require('node:net');
const answer = ${JSON.stringify(sseAnswer())};
let dropped = 0, requests = 0, latestFinMs = 0;
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  let buf = Buffer.alloc(0), closing = false;
  socket.setNoDelay(true);
  socket.on('error', () => {});
  socket.on('end', () => { if (!socket.writableEnded) socket.end(); });
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const he = buf.indexOf('\\r\\n\\r\\n');
      if (he < 0) return;
      const m = /\\r\\ncontent-length: *(\\d+)/i.exec(buf.toString('latin1', 0, he));
      const len = m === null ? 0 : Number(m[1]);
      if (buf.length < he + 4 + len) return;
      buf = buf.subarray(he + 4 + len);
      requests++;
      // Read and dropped unanswered, as cpp-httplib's drain_and_close_socket does.
      if (closing) { dropped++; continue; }
      closing = true;
      socket.write(answer);
      const wrote = performance.now();
      setTimeout(() => {
        latestFinMs = Math.max(latestFinMs, performance.now() - wrote);
        socket.end();
      }, ${CLOSE_AFTER_MS});
    }
  });
});
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
process.on('message', () => process.send({ requests, dropped, latestFinMs }));
`;

/** The pool's probation (connection-pool.ts PROBATION_NS): a FIN later than this is a server that keeps its connections. */
const PROBATION_MS = 20;

interface ClosingRun {
  records: Awaited<ReturnType<typeof runShard>>['records'];
  summary: Awaited<ReturnType<typeof runShard>>['summary'];
  seen: { requests: number; dropped: number; latestFinMs: number };
}

async function againstClosingServer(): Promise<ClosingRun> {
  const child = spawn(process.execPath, ['-e', CLOSING_SERVER], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.stdout!.on('data', (d: Buffer) => {
        const m = /port (\d+)/.exec(String(d));
        if (m !== null) resolve(Number(m[1]));
      });
    });
    const { records, summary } = await runShard(
      plan(port, {
        request: { apiType: 'chat', model: 'm', streaming: true, maxOutputTokens: 16 },
        maxRequests: 20,
        concurrency: 1,
        maxConnections: 4,
        maxConcurrentConnects: 4,
      }),
    );
    const seen = await new Promise<ClosingRun['seen']>((resolve) => {
      child.once('message', (m) => resolve(m as ClosingRun['seen']));
      child.send('counts');
    });
    return { records, summary, seen };
  } finally {
    child.kill();
  }
}

test(`a server that FINs ${CLOSE_AFTER_MS} ms after each streamed answer and drops what came meanwhile: none is lost`, async (t) => {
  // A loaded machine can hold the server's 3 ms timer past the probation (CI: a request dropped with
  // the JS fallbacks): that server kept a connection open 20 ms, which is what keep-alive means to the
  // pool. Such a run is not this case: tried again, up to 3 times.
  let run = await againstClosingServer();
  for (let i = 1; i < 3 && run.seen.latestFinMs >= PROBATION_MS; i++) run = await againstClosingServer();
  const { records, summary, seen } = run;
  if (seen.latestFinMs >= PROBATION_MS) {
    t.skip(
      `SKIPPED: in 3 tries the server's FIN came up to ${seen.latestFinMs.toFixed(1)} ms late (machine load), past the 20 ms probation`,
    );
    return;
  }
  assert.deepEqual(failures(records), []);
  assert.equal(
    seen.dropped,
    0,
    `no request was written onto a connection the server was about to close (FINs up to ${seen.latestFinMs.toFixed(1)} ms after the answer)`,
  );
  assert.equal(seen.requests, 20);
  assert.equal(summary.retries, 0);
  assert.equal(summary.reuseStoppedPools, 1, 'the pool learned that the server closes after every answer');
});

test('a chunked server that keeps its connections: they are reused once one has stayed open 20 ms', async () => {
  const server = await rawServer((r) => {
    r.socket.write(sseAnswer());
  });
  try {
    const { records, summary } = await runShard(
      plan(server.port, {
        request: { apiType: 'chat', model: 'm', streaming: true, maxOutputTokens: 16 },
        maxRequests: 400,
        concurrency: 2,
        maxConnections: 64,
        maxConcurrentConnects: 4,
      }),
    );
    assert.deepEqual(failures(records), []);
    assert.equal(summary.reuseStoppedPools, 0);
    const reused = records.filter((r) => r.reused).length;
    // The requests sent in the first 20 ms opened connections of their own; all later ones reused.
    assert.ok(reused > 200, `${reused} of 400 reused, ${server.connections()} connections`);
    assert.ok(server.connections() < 100, `${server.connections()} connections`);
    console.error(`chunked keep-alive server: ${reused} of 400 requests reused, ${server.connections()} connections`);
  } finally {
    await server.close();
  }
});
