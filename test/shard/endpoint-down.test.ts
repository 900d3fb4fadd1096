/**
 * A server that dies mid-run: the failures stay bounded (connects back off) and the run stops
 * with exit 4, naming the endpoint and since when, once it has been down --endpoint-down-timeout.
 * Before: killed 3 s into an 8 s concurrency-4 run, 219,153 connect_refused records and exit 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startMockServer } from '../../src/servers/mock-openai-server.js';
import { describeResult, makeTempDir, readJsonl, runCli } from '../cli/cli-process.js';

test('an endpoint that stops listening mid-run: bounded failures, exit 4 after --endpoint-down-timeout', async () => {
  const server = await startMockServer({ ttftMs: 5, itlMs: 1, outputTokens: 8 });
  const dir = await makeTempDir();
  try {
    // Kill it once the run is well under way (start-up time varies on a loaded machine).
    const watch = setInterval(() => {
      if (server.stats().completionRequests >= 200) {
        clearInterval(watch);
        void server.close();
      }
    }, 20);
    const t0 = performance.now();
    const result = await runCli(
      [
        'benchmark',
        'online',
        '--endpoints',
        server.url,
        '--model',
        'm',
        '--concurrency',
        '4',
        '--duration',
        '20s',
        '--workers',
        '1',
        '--endpoint-down-timeout',
        '2s',
        '--report-dir',
        dir.dir,
      ],
      { timeoutMs: 30_000 },
    );
    clearInterval(watch);
    const elapsed = performance.now() - t0;
    assert.equal(result.code, 4, describeResult(result));
    assert.match(result.stderr, /127\.0\.0\.1:\d+.* has been down since \d{4}-\d\d-\d\dT/);
    assert.match(result.stderr, /--endpoint-down-timeout 2 s/);
    assert.match(result.stderr, /error \[endpoint_down\]/);
    // Start-up (~1-2 s) + ~0.5 s of load + 2 s down + up to one backoff (1 s) to notice.
    assert.ok(elapsed < 9000, `the run took ${elapsed.toFixed(0)} ms`);
    const records = await readJsonl(path.join(dir.dir, 'records.jsonl'));
    const failed = records.filter((r) => r.error !== null && r.error !== '');
    const refused = failed.filter((r) => r.error === 'connect_refused').length;
    // The bound: each backoff step (20 ms doubling to 1 s: ~8 steps in 3 s) fails at most the 4
    // waiting requests, plus the 4 cut mid-stream and the first connects before the pool knew.
    assert.ok(refused <= 64, `${refused} connect_refused records`);
    assert.ok(failed.length <= 80, `${failed.length} failed records`);
    assert.ok(
      records.length - failed.length > 0,
      `requests before the kill completed: ${records.length} records ${JSON.stringify(failed.slice(0, 2))} ${result.stderr}`,
    );
  } finally {
    await server.close();
    await dir.cleanup();
  }
});
