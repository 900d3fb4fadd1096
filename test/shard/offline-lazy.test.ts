/**
 * Offline runs issue lazily: a request is issued when it can soon be sent, so memory does not grow
 * with --num-samples and an interrupted run never counts unsent samples. Before, every sample was
 * issued at the start: 100M samples passed 4 GB RSS in 25 s, and Ctrl-C 20 s into a 2M-sample run
 * counted 1,649,028 never-sent requests as issued and failed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestErrorCode } from '../../src/record/request-record.js';
import { startMockServer } from '../../src/servers/mock-openai-server.js';
import { plan, runShard } from './shard-kit.js';

test('offline 1M samples, aborted after ~1 s: issued ≈ finished, unsent samples unissued, heap bounded', async () => {
  const server = await startMockServer({ outputTokens: 4 });
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 50);
  try {
    const connections = 32;
    const { records, summary } = await runShard(
      plan(server.port, {
        pattern: 'offline',
        maxRequests: 1_000_000,
        maxConnections: connections,
        request: { apiType: 'chat', model: 'm', streaming: false, maxOutputTokens: 4 },
      }),
      { during: (runner) => setTimeout(() => runner.abort(), 1000), limitMs: 60_000 },
    );
    clearInterval(sampler);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    const cancelled = records.filter((r) => r.error === RequestErrorCode.cancelled).length;
    const completed = records.filter((r) => r.error === '').length;
    assert.ok(completed > 100, `${completed} completed in ~1 s`);
    assert.ok(summary.issued < 1_000_000, `${summary.issued} issued: not every sample`);
    // Only what was in flight is cancelled: the connections plus the 64-request queue.
    assert.ok(cancelled <= connections + 64, `${cancelled} cancelled at the abort`);
    assert.equal(summary.issued, summary.completed + summary.failed);
    // Generous: records of ~1 s of requests plus the mock in the same process. 1M exchanges at once: GBs.
    assert.ok(peakHeap < 200 * 2 ** 20, `peak heap ${(peakHeap / 2 ** 20).toFixed(0)} MB`);
  } finally {
    clearInterval(sampler);
    await server.close();
  }
});
