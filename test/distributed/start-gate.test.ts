import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { barrierStartMs, parseStartAt, waitUntilWallMs, wallNowMs } from '../../src/distributed/start-gate.js';
import type { RunFingerprint } from '../../src/distributed/run-fingerprint.js';
import { LoadgenError } from '../../src/errors.js';

const FINGERPRINT: RunFingerprint = {
  hosts: 2,
  shards_per_host: 2,
  scheduler_seed: 7,
  dataloader_seed: 7,
  dataset: 'synthetic',
  dataset_rows: 1000,
  dataset_sha256: 'abc',
  load_pattern: 'poisson',
  target_qps: 20,
  concurrency: null,
  num_samples: 100,
  duration_ms: null,
  model: 'm',
  streaming: true,
  api_type: 'chat',
  max_output_tokens: null,
  tool_version: '1.0.0',
  endpoints: ['http://10.0.0.1:8000'],
};

test('--start-at: ISO with a zone, or @epoch seconds', () => {
  assert.equal(parseStartAt('2026-12-01T12:00:00Z'), Date.UTC(2026, 11, 1, 12));
  assert.equal(parseStartAt('2026-12-01T13:00:00+01:00'), Date.UTC(2026, 11, 1, 12));
  assert.equal(parseStartAt('@1796124000'), 1796124000_000);
  assert.throws(() => parseStartAt('2026-12-01T12:00:00'), /no time zone/);
  assert.throws(() => parseStartAt('noon'), /not a time/);
});

test('a barrier of three hosts hands every host the same start, after all are ready', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'llm-loadgen-barrier-'));
  try {
    const hosts = [2, 0, 1].map((index) => barrierStartMs(dir, { index, count: 3, source: '--shard' }, 20_000));
    const starts = (await Promise.all(hosts)).map((g) => g.atMs);
    assert.equal(new Set(starts).size, 1);
    assert.ok(starts[0] > wallNowMs(), 'the start is ahead of now');
    assert.equal(parseStartAt((await readFile(path.join(dir, 'start'), 'utf8')).trim()), starts[0]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a host that never comes is named when the barrier times out', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'llm-loadgen-barrier-'));
  try {
    await assert.rejects(
      barrierStartMs(dir, { index: 0, count: 2, source: '--shard' }, 300),
      /host\(s\) 1 of 2 are not ready/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('waitUntilWallMs does not resolve early', async () => {
  const at = wallNowMs() + 50;
  await waitUntilWallMs(at);
  assert.ok(wallNowMs() >= at);
});

test('host 0 refuses to start hosts given different runs, and every host says what differs', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'llm-loadgen-barrier-'));
  try {
    const other = { ...FINGERPRINT, shards_per_host: 1, target_qps: 10 };
    const results = await Promise.allSettled([
      barrierStartMs(dir, { index: 0, count: 2, source: '--shard' }, 20_000, FINGERPRINT),
      barrierStartMs(dir, { index: 1, count: 2, source: '--shard' }, 20_000, other),
    ]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const err = (r as PromiseRejectedResult).reason as LoadgenError;
      assert.ok(err instanceof LoadgenError);
      assert.equal(err.code, 'hosts_disagree');
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /shards per host \(--workers\) differs \(host 0: 2; host 1: 1\)/);
      assert.match(err.message, /--target-qps differs \(host 0: 20; host 1: 10\)/);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('hosts that differ only harmlessly (endpoints as each saw them) start, with a warning', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'llm-loadgen-barrier-'));
  try {
    const other = { ...FINGERPRINT, endpoints: ['http://10.0.0.2:8000'] };
    const starts = await Promise.all([
      barrierStartMs(dir, { index: 0, count: 2, source: '--shard' }, 20_000, FINGERPRINT),
      barrierStartMs(dir, { index: 1, count: 2, source: '--shard' }, 20_000, other),
    ]);
    assert.equal(starts[0].atMs, starts[1].atMs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the barrier measures each host's clock against the volume's: a clock 300 ms ahead shows as -300 ms", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'llm-loadgen-barrier-'));
  try {
    const [right, ahead] = await Promise.all([
      barrierStartMs(dir, { index: 0, count: 2, source: '--shard' }, 20_000, FINGERPRINT),
      barrierStartMs(dir, { index: 1, count: 2, source: '--shard' }, 20_000, FINGERPRINT, () => wallNowMs() + 300),
    ]);
    // A local file system stamps mtimes from a coarse clock (a tick, ~4 ms, behind).
    // The offset is right to within its error (half the write's time) and the coarse clock's tick.
    assert.ok(Math.abs(right.clockOffsetMs) < right.clockErrorMs + 15, `offset ${right.clockOffsetMs} ms`);
    assert.ok(Math.abs(ahead.clockOffsetMs + 300) < ahead.clockErrorMs + 15, `offset ${ahead.clockOffsetMs} ms`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
