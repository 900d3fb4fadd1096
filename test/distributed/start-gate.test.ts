import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { barrierStartMs, parseStartAt, waitUntilWallMs, wallNowMs } from '../../src/distributed/start-gate.js';

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
    const starts = await Promise.all(hosts);
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
