import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEndpoints } from '../../src/api/endpoint.js';
import { resolveSettings } from '../../src/config/benchmark-settings.js';
import { parseShardSpec, resolveHostShard } from '../../src/distributed/host-shard.js';
import { hostShareSettings } from '../../src/distributed/host-start.js';
import { planConnections, type HostLimits } from '../../src/run/connection-plan.js';
import { resolveEndpoint } from '../../src/run/preflight.js';

test('--shard i/N', () => {
  assert.deepEqual(parseShardSpec('0/4'), { index: 0, count: 4 });
  assert.deepEqual(parseShardSpec(' 3 / 4 '), { index: 3, count: 4 });
  assert.throws(() => parseShardSpec('4/4'), /below N/);
  assert.throws(() => parseShardSpec('1-4'), /not i\/N/);
  assert.throws(() => parseShardSpec('0/0'), /at least 1/);
});

test('the flag, then Kubernetes, then Slurm; a single host is null', () => {
  assert.deepEqual(resolveHostShard('1/2', undefined, { JOB_COMPLETION_INDEX: '0' }), {
    index: 1,
    count: 2,
    source: '--shard',
  });
  assert.deepEqual(resolveHostShard(undefined, 3, { JOB_COMPLETION_INDEX: '2' }), {
    index: 2,
    count: 3,
    source: 'JOB_COMPLETION_INDEX',
  });
  assert.deepEqual(resolveHostShard(undefined, undefined, { SLURM_PROCID: '1', SLURM_NTASKS: '2' }), {
    index: 1,
    count: 2,
    source: 'SLURM_PROCID',
  });
  // One Slurm task is a single-host run.
  assert.equal(resolveHostShard(undefined, undefined, { SLURM_PROCID: '0', SLURM_NTASKS: '1' }), null);
  assert.equal(resolveHostShard(undefined, undefined, {}), null);
});

test('contradictions say what to do', () => {
  assert.throws(() => resolveHostShard(undefined, undefined, { JOB_COMPLETION_INDEX: '0' }), /add --shards N/);
  assert.throws(() => resolveHostShard(undefined, 2, { JOB_COMPLETION_INDEX: '2' }), /not below --shards 2/);
  assert.throws(() => resolveHostShard('0/2', 3, {}), /--shards says 3/);
  assert.throws(() => resolveHostShard(undefined, 4, {}), /needs this host's index/);
  assert.throws(() => resolveHostShard(undefined, 3, { SLURM_PROCID: '0', SLURM_NTASKS: '2' }), /srun --ntasks N/);
});

test('every host plans the same number of shards, whatever its share (--concurrency 3 over 2 hosts, --workers 2)', async () => {
  const limits: HostLimits = { portRangeSize: 10_000, openFilesLimit: 20_000, bindNoPort: false };
  const [endpoint] = await Promise.all(parseEndpoints(['http://127.0.0.1:8001'], 'chat').map(resolveEndpoint));
  for (const [concurrency, hosts, workers, numSamples] of [
    [3, 2, 2, 100],
    [5, 4, 4, 100],
    [64, 3, 8, 100],
    [8, 2, 8, 3],
    [1, 1, 4, 100],
  ]) {
    const settings = resolveSettings(
      { mode: 'online', endpoints: ['http://127.0.0.1:8001'], model: 'm', concurrency, workers, numSamples },
      100,
    );
    const shards = Array.from({ length: hosts }, (_, index) => {
      const host = hosts === 1 ? null : { index, count: hosts, source: '--shard' as const };
      const plan = planConnections(hostShareSettings(settings, host), [endpoint], limits);
      return plan.shards;
    });
    assert.equal(new Set(shards).size, 1, `C=${concurrency} over ${hosts} hosts, --workers ${workers}: ${shards}`);
    // Never more shards in all than there is concurrency to split.
    assert.ok(shards[0] * hosts <= Math.max(hosts, concurrency), `${shards[0]} × ${hosts} > ${concurrency}`);
  }
});
