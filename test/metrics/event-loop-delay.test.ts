/**
 * The event-loop delay in client_health is the lateness itself: an idle loop reads about 0 (Node's
 * histogram alone reads ~10 ms, its sampling interval), and a loop blocked for 60 ms reads ~50 ms
 * at the max (60 ms blocked minus the 10 ms interval it would have slept anyway).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEventLoopDelay } from '../../src/metrics/event-loop-delay.js';

function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test('event-loop delay: an idle loop reads under 2 ms at the median, not the 10 ms sampling interval', async () => {
  const stop = startEventLoopDelay();
  await sleep(300);
  const s = stop();
  assert.ok(s !== null);
  assert.ok(s.p50Ns < 2e6, `p50 ${s.p50Ns / 1e6} ms`);
});

test('event-loop delay: a 60 ms block shows at the max as at least 45 ms', async () => {
  const stop = startEventLoopDelay();
  await sleep(50);
  block(60);
  await sleep(50);
  const s = stop();
  assert.ok(s !== null);
  assert.ok(s.maxNs >= 45e6 && s.maxNs < 200e6, `max ${s.maxNs / 1e6} ms`);
});
