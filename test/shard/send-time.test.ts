/**
 * Nothing is sent before its time. The start timer fires up to ~1 ms early (libuv's clock is
 * cached per loop turn), and concurrency and offline runs issue at the start: client wait went
 * down to −1.01 ms. Warm connections make sent ≈ dispatched, so an early start shows at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monotonicNs } from '../../src/record/clock.js';
import { answerQuickly, plan, rawServer, runShard } from './shard-kit.js';

test('client wait ≥ 0 for every record over many short concurrency and offline runs', async () => {
  const server = await rawServer(answerQuickly);
  try {
    let early = 0;
    let worst = 0;
    let n = 0;
    for (let run = 0; run < 40; run++) {
      const p =
        run % 2 === 0
          ? plan(server.port, { pattern: 'concurrency', concurrency: 4, maxRequests: 4 })
          : plan(server.port, { pattern: 'offline', maxRequests: 4 });
      // A start a fractional number of ms ahead, as the run's START_DELAY gives the shards.
      const aheadNs = (1 + (run % 7) * 0.73) * 1e6;
      const { records } = await runShard(p, { warmup: 4, startNs: () => monotonicNs() + aheadNs });
      for (const r of records) {
        n++;
        assert.equal(r.error, '', r.errorMessage);
        const waitNs = Math.min(r.sent - r.scheduled, r.dispatched - r.scheduled);
        if (waitNs < 0) {
          early++;
          worst = Math.min(worst, waitNs);
        }
      }
    }
    assert.equal(early, 0, `${early} of ${n} requests sent before their time (worst ${(worst / 1e6).toFixed(3)} ms)`);
  } finally {
    await server.close();
  }
});
