/** shardPlan(): a shard's plan from the run's settings, with the unit of every time in its name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shardPlan } from '../../src/shard/shard-plan.js';
import { loopbackSettings } from '../fixtures/shard-plan.js';

const slot = (shardIndex: number, shardCount: number) => ({
  shardIndex,
  shardCount,
  endpoints: [],
  samples: [],
  samplesPartitioned: true,
  connectionsPerEndpoint: 3,
});

test('times keep their unit: settings in ms, the plan in ms or ns as each name says', () => {
  const s = loopbackSettings('http://127.0.0.1:1', {
    numSamples: undefined,
    duration: '2s',
    maxIdleTime: '1.5s',
    connectTimeout: '250ms',
    requestTimeout: '1m',
    endpointDownTimeout: '7s',
  });
  const p = shardPlan(s, slot(0, 1));
  assert.equal(p.durationNs, 2e9);
  assert.equal(p.maxIdleTimeMs, 1500);
  assert.equal(p.connectTimeoutMs, 250);
  assert.equal(p.requestTimeoutMs, 60_000);
  assert.equal(p.endpointDownTimeoutMs, 7000);
  assert.equal(p.drainTimeoutMs, 30_000, 'a --duration run drains for at most 30 s by default');
  assert.equal(p.maxConnections, 3);
});

test('shares: rate λ/N, concurrency and count split as evenly as integers allow', () => {
  const s = loopbackSettings('http://127.0.0.1:1', {
    loadPattern: 'poisson',
    targetQps: 90,
    concurrency: undefined,
    numSamples: 10,
  });
  const plans = [0, 1, 2].map((i) => shardPlan(s, slot(i, 3)));
  assert.deepEqual(
    plans.map((p) => [p.pattern, p.qps, p.maxRequests]),
    [
      ['poisson', 30, 4],
      ['poisson', 30, 3],
      ['poisson', 30, 3],
    ],
  );
  const c = loopbackSettings('http://127.0.0.1:1', { concurrency: 5, numSamples: undefined, duration: '1s' });
  assert.deepEqual(
    [0, 1].map((i) => shardPlan(c, slot(i, 2)).concurrency),
    [3, 2],
  );
});
