import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shardV8Options } from '../../src/run/shard-handle.js';
import type { ShardPlan } from '../../src/shard/shard-plan.js';

function plan(over: Partial<ShardPlan>): ShardPlan {
  return {
    shardIndex: 0,
    shardCount: 1,
    endpoints: [
      {
        displayUrl: 'http://127.0.0.1:1',
        tls: false,
        host: '127.0.0.1',
        port: 1,
        hostHeader: '127.0.0.1:1',
        path: '/v1/chat/completions',
        basePath: '/v1',
        address: '127.0.0.1',
      },
    ],
    request: { apiType: 'chat', model: 'm', streaming: true },
    samples: [{ prompt: 'x' }],
    samplesPartitioned: true,
    pattern: 'concurrency',
    qps: 0,
    concurrency: 64,
    maxRequests: Infinity,
    durationNs: 1e9,
    seed: 1,
    maxConnections: 28_232,
    maxConcurrentConnects: 128,
    maxIdleTimeMs: 4000,
    connectTimeoutMs: 30_000,
    requestTimeoutMs: 600_000,
    sourceIps: [],
    insecureTls: false,
    captureText: false,
    ...over,
  };
}

test('a small young generation only for shards that hold thousands of streams at once', () => {
  const small = ['--max-semi-space-size=2'];
  assert.deepEqual(
    shardV8Options(plan({ concurrency: 64 })),
    [],
    'throughput run: the connection limit alone does not count',
  );
  assert.deepEqual(shardV8Options(plan({ concurrency: 16_667 })), small);
  assert.deepEqual(
    shardV8Options(plan({ concurrency: 16_667, maxConnections: 1000 })),
    [],
    'capped by the connections it may open',
  );
  assert.deepEqual(shardV8Options(plan({ pattern: 'offline', maxRequests: 100, concurrency: 0 })), []);
  assert.deepEqual(shardV8Options(plan({ pattern: 'offline', maxRequests: 50_000, concurrency: 0 })), small);
  assert.deepEqual(shardV8Options(plan({ pattern: 'poisson', qps: 10, concurrency: 0, maxConnections: 1024 })), []);
});
