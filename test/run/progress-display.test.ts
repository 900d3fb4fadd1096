/** The progress line says what a --duration run waits for once it has stopped sending. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProgressDisplay } from '../../src/run/progress-display.js';
import type { ShardProgress } from '../../src/shard/shard-plan.js';

const progress = (inFlight: number): ShardProgress => ({
  issued: 10,
  completed: 10 - inFlight,
  failed: 0,
  inFlight,
  portExhaustionEvents: 0,
  openConnections: inFlight,
  retries: 0,
});

test('after --duration, the progress line reads "draining: N requests in flight, up to Ts" at once', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const display = new ProgressDisplay(
    { total: null, durationMs: 50, drainTimeoutMs: 3000 },
    out as unknown as NodeJS.WriteStream,
  );
  display.start();
  display.update(progress(3));
  assert.doesNotMatch(text, /draining/, 'not while sending');
  await new Promise((r) => setTimeout(r, 80));
  display.update(progress(3));
  display.stop();
  // Printed at once (not at the next 5 s plain-progress tick), with the drain's remaining bound.
  assert.match(text, /draining: 3 requests in flight, up to 3s/);
});

test('no drain text once nothing is in flight, or for a count-bounded run', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const timed = new ProgressDisplay(
    { total: null, durationMs: 10, drainTimeoutMs: 3000 },
    out as unknown as NodeJS.WriteStream,
  );
  timed.start();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(timed.drainText(progress(0)), null);
  const counted = new ProgressDisplay({ total: 10, durationMs: null }, out as unknown as NodeJS.WriteStream);
  counted.start();
  assert.equal(counted.drainText(progress(2)), null);
});
