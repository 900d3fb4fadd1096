/** The connection plan for huge --concurrency: warm up only what the run can use; warn with the arithmetic. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEndpoints } from '../../src/api/endpoint.js';
import { resolveSettings, type BenchmarkSettingsInput } from '../../src/config/benchmark-settings.js';
import { planConnections, type HostLimits } from '../../src/run/connection-plan.js';
import { formatPlan } from '../../src/run/plan-text.js';
import type { ResolvedEndpoint } from '../../src/shard/shard-plan.js';

const limits: HostLimits = { portRangeSize: 28_232, openFilesLimit: 1_048_576, bindNoPort: false };

function plan(extra: Partial<BenchmarkSettingsInput>) {
  const settings = resolveSettings(
    { mode: 'online', endpoints: ['http://127.0.0.1:8000'], model: 'm', ...extra },
    1000,
  );
  const endpoints: ResolvedEndpoint[] = parseEndpoints(settings.endpoints, settings.apiType).map((e) => ({
    ...e,
    address: '127.0.0.1',
  }));
  const p = planConnections(settings, endpoints, limits);
  return { p, text: formatPlan(settings, endpoints, p) };
}

test('--concurrency 99999999999 --num-samples 5 warms up 5 connections, not 7,058', () => {
  const { p, text } = plan({ concurrency: 99_999_999_999, numSamples: 5, workers: 1 });
  assert.equal(p.warmupPerShardPerEndpoint * p.shards, 5, text);
  assert.equal(p.plannedConnections, 5);
  assert.deepEqual(p.warnings, [], 'five requests fit');
  // Over shards the same number per shard, rounded up: 3 + 3 for shares of 3 and 2.
  const two = plan({ concurrency: 99_999_999_999, numSamples: 5, workers: 2 }).p;
  assert.ok(two.warmupPerShardPerEndpoint * two.shards <= 6);
});

test('a poisson run of 3 requests warms up at most 3', () => {
  const { p } = plan({ targetQps: 1000, numSamples: 3, workers: 1 });
  assert.equal(p.warmupPerShardPerEndpoint, 3);
});

test('--dry-run warns, with the arithmetic, when --concurrency exceeds what the port budget allows', () => {
  const { p, text } = plan({ concurrency: 99_999_999_999, workers: 2, duration: '10s' });
  assert.equal(p.warnings.length, 1);
  assert.match(text, /warning: --concurrency 99999999999 wants 99999999999 requests in flight/);
  assert.match(
    text,
    /at most 28232 connections: the port budget \(28232 ports × 1 distinct destination\(s\) = 28232\)/,
  );
  assert.match(text, /99999971767 requests will wait/);
});

test('an explicit --max-connections below --concurrency is named in the warning', () => {
  const { text } = plan({ concurrency: 100, maxConnections: 10, workers: 1 });
  assert.match(text, /at most 10 connections: --max-connections 10\. 90 requests will wait/);
});
