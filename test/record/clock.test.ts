import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monotonicNs } from '../../src/record/clock.js';

test('monotonicNs increases and is in nanoseconds', async () => {
  const a = monotonicNs();
  await new Promise((r) => setTimeout(r, 20));
  const b = monotonicNs();
  assert.ok(b - a >= 15e6, `expected >= 15 ms, got ${(b - a) / 1e6} ms`);
  assert.ok(b - a < 2e9);
});
