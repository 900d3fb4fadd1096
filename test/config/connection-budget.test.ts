import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEndpoints } from '../../src/api/endpoint.js';
import { resolveSettings, type BenchmarkSettingsInput } from '../../src/config/benchmark-settings.js';
import { connectionBudget, readOpenFilesLimit, readPortRangeSize } from '../../src/config/port-budget.js';
import { checkSourceIps, cleanSourceIps } from '../../src/config/source-ips.js';
import { BadInputError } from '../../src/errors.js';
import { planConnections, type HostLimits } from '../../src/run/connection-plan.js';
import { resolveEndpoint } from '../../src/run/preflight.js';

const limits = (bindNoPort = false): HostLimits => ({ portRangeSize: 10_000, openFilesLimit: 20_000, bindNoPort });

async function plan(endpoints: string, extra: Partial<BenchmarkSettingsInput> = {}, hostLimits = limits()) {
  const settings = resolveSettings(
    { mode: 'online', endpoints: [endpoints], model: 'm', concurrency: 10, ...extra },
    10,
  );
  const resolved = await Promise.all(parseEndpoints(settings.endpoints, settings.apiType).map(resolveEndpoint));
  return planConnections(settings, resolved, hostLimits);
}

test('budget counts distinct resolved destinations, not URLs', async () => {
  assert.equal(
    (await plan('http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.2:8001')).budget.connections,
    30_000,
  );
  assert.equal(
    (await plan('http://127.0.0.1:8001/a,http://127.0.0.1:8001/b/v1,127.0.0.1:8001')).budget.connections,
    10_000,
    'paths and schemeless spelling do not count',
  );
  assert.equal(
    (await plan('http://127.0.0.1,https://127.0.0.1')).budget.connections,
    20_000,
    'http and https default ports differ',
  );
});

test('source IPs: R × S with plain bind, R × S × D with IP_BIND_ADDRESS_NO_PORT', async () => {
  const p = await plan('http://127.0.0.1:8001', { sourceIps: ['127.0.0.2', '127.0.0.3'] });
  assert.equal(p.budget.connections, 20_000);
  assert.match(p.budget.explanation, /10000 ports × 2 source IP/);
  const q = await plan(
    'http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.1:8003',
    { sourceIps: ['127.0.0.2', '127.0.0.3'] },
    limits(true),
  );
  assert.equal(q.budget.connections, 60_000);
  assert.equal(
    connectionBudget({ portRangeSize: 10_000, destinations: 3, sourceIps: 2, bindNoPort: false }).connections,
    20_000,
  );
});

test('an explicit --max-connections above the budget is refused with the arithmetic', async () => {
  await assert.rejects(plan('http://127.0.0.1:8001', { maxConnections: 10_001 }), (e: unknown) => {
    assert.ok(e instanceof BadInputError);
    assert.equal(e.code, 'max_connections_over_budget');
    assert.match(e.message, /--max-connections 10001/);
    assert.match(e.message, /10000 ports × 1 distinct destination\(s\) = 10000/);
    return true;
  });
  assert.equal((await plan('http://127.0.0.1:8001', { maxConnections: 10_000 })).maxConnections, 10_000);
});

test('auto max-connections is the budget, capped by open files × shards; shards grow with the planned connections', async () => {
  const p = await plan(
    'http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.1:8003',
    { concurrency: 25_000, workers: 1 },
    { portRangeSize: 10_000, openFilesLimit: 10_256, bindNoPort: false },
  );
  assert.equal(p.budget.connections, 30_000);
  assert.equal(p.shards, 3, '25,000 connections at 10,000 sockets per process need 3 shards');
  assert.ok(
    p.maxConnections <= 30_000 && p.maxConnections > 30_000 - 9,
    `max connections ${p.maxConnections}: the budget, rounded down to whole connections per shard and endpoint`,
  );
  assert.ok(p.shardNote !== null && /3 shard processes/.test(p.shardNote));
  assert.ok(p.perShardPerEndpoint * 3 <= 10_000, 'a shard never plans more sockets than its open-files limit');
});

test('auto warmup is what a concurrency run holds (up to the limit); Poisson warms 1 s of arrivals up to 25 %', async () => {
  const small = await plan('http://127.0.0.1:8001', { concurrency: 40, workers: 2 });
  assert.equal(small.warmupPerShardPerEndpoint, 20, 'concurrency 40 over 2 shards');
  const big = await plan('http://127.0.0.1:8001', { concurrency: 9_000, workers: 1 });
  assert.equal(big.warmupPerShardPerEndpoint, 9_000, 'every slot of the run, before the clock');
  const over = await plan('http://127.0.0.1:8001', { concurrency: 20_000, workers: 1, maxConnections: 10_000 });
  assert.equal(over.warmupPerShardPerEndpoint * over.shards, 10_000, 'never past the connection limit');
  const poisson = await plan('http://127.0.0.1:8001', {
    concurrency: undefined,
    loadPattern: 'poisson',
    targetQps: 9_000,
    workers: 1,
  });
  assert.equal(poisson.warmupPerShardPerEndpoint * poisson.shards, 2_500, '25 % of 10,000');
  const none = await plan('http://127.0.0.1:8001', { concurrency: 40, warmupConnections: 0 });
  assert.equal(none.warmupPerShardPerEndpoint, 0);
});

test('port range and open-files limit are read from /proc-style files, with fallbacks', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmlg-budget-'));
  try {
    writeFileSync(path.join(dir, 'range'), '40000\t49999\n');
    assert.equal(readPortRangeSize(path.join(dir, 'range')), 10_000);
    assert.equal(readPortRangeSize(path.join(dir, 'missing')), 28_232);
    writeFileSync(
      path.join(dir, 'limits'),
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                20000                files\n',
    );
    assert.equal(readOpenFilesLimit(path.join(dir, 'limits')), 20_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('source IPs are trimmed, blanks dropped, duplicates removed, non-IPs refused', () => {
  assert.deepEqual(cleanSourceIps([' 127.0.0.2 , ,127.0.0.3', '127.0.0.2', '']), ['127.0.0.2', '127.0.0.3']);
  assert.deepEqual(cleanSourceIps([]), []);
  assert.throws(
    () => cleanSourceIps(['127.0.0.2,not-an-ip']),
    (e: unknown) => e instanceof BadInputError && /"not-an-ip" is not an IP/.test(e.message),
  );
  assert.throws(() => cleanSourceIps(['0.0.0.0']), /wildcard/);
});

test("source IPs must be local and of the endpoints' family", async () => {
  await checkSourceIps(['127.0.0.2', '127.0.0.9'], new Set([4]));
  // 192.0.2.0/24 is TEST-NET-1: never assigned to a host. Only a bind is attempted, no traffic.
  await assert.rejects(
    checkSourceIps(['192.0.2.7'], new Set([4])),
    (e: unknown) => e instanceof BadInputError && e.code === 'source_ip_not_local' && /192\.0\.2\.7/.test(e.message),
  );
  await assert.rejects(
    checkSourceIps(['::1'], new Set([4])),
    (e: unknown) => e instanceof BadInputError && e.code === 'source_ip_family',
  );
});

test('an explicit --max-connections is never exceeded, whatever the shards and endpoints', async () => {
  const three = 'http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.1:8003';
  for (const [m, workers] of [
    [4, 8],
    [10, 4],
    [3, 2],
    [100, 7],
  ] as const) {
    const p = await plan(three, { maxConnections: m, workers, concurrency: 50 });
    assert.ok(
      p.perShardPerEndpoint * 3 * p.shards <= m,
      `M=${m} workers=${workers}: ${p.shards} shards × 3 × ${p.perShardPerEndpoint}`,
    );
    assert.ok(p.perShardPerEndpoint >= 1);
  }
  await assert.rejects(plan(three, { maxConnections: 2 }), /fewer than the 3 endpoints/);
});
