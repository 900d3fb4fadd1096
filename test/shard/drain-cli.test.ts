/**
 * The CLI against a server that answers /v1/models and then never answers a completion: a
 * `--duration 1s --drain-timeout 1s` run ends on its own, says what it waits for while it drains,
 * and counts every hung request as cancelled_at_end. Before: it waited for --request-timeout (600 s).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { describeResult, makeTempDir, readJsonl, runCli, cli } from '../cli/cli-process.js';

test('a hung server: --duration 1s --drain-timeout 1s ends in time, "draining: …", all cancelled_at_end', async () => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    sockets.add(c);
    c.on('error', () => {});
    c.on('close', () => sockets.delete(c));
    let head = '';
    c.on('data', (d) => {
      head += d.toString('latin1');
      if (head.startsWith('GET /v1/models') && head.includes('\r\n\r\n')) {
        const body = '{"object":"list","data":[{"id":"m","object":"model"}]}';
        c.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        head = '';
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const dir = await makeTempDir();
  try {
    const t0 = performance.now();
    const result = await runCli(
      cli`
        benchmark online --endpoints ${`http://127.0.0.1:${port}`} --model m --concurrency 3 --duration 1s
        --drain-timeout 1s --workers 1 --report-dir ${dir.dir}
      `,
      { timeoutMs: 30_000 },
    );
    const elapsed = performance.now() - t0;
    assert.ok(result.code !== null, describeResult(result));
    assert.match(result.stderr, /draining: 3 requests in flight, up to 1s/);
    // Start-up is slow on a loaded machine (tsx, shard forks); the run's own clock is checked below.
    assert.ok(elapsed < 20_000, `the run took ${elapsed.toFixed(0)} ms`);
    const records = await readJsonl(path.join(dir.dir, 'records.jsonl'));
    assert.equal(records.length, 3);
    for (const r of records) {
      assert.equal(r.error, 'cancelled_at_end');
      // 1 s window + 1 s drain, from the run's start.
      const endS = (r.end_ns as number) / 1e9;
      assert.ok(endS >= 1.99 && endS < 2.5, `ended ${endS.toFixed(3)} s into the run`);
    }
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await dir.cleanup();
  }
});
