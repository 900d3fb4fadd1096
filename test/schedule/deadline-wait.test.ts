/**
 * The open-loop schedule's waits (--send-timer): each fires at or after its deadline, never
 * before; a re-arm replaces the deadline; cancel and close stop it; an armed native wait keeps the
 * process alive and a closed one lets it exit. Precision is measured by bench/client-throughput.ts
 * (--open-loop), not asserted here: this machine's load would make any bound flaky.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { arrivalTimesFor, poissonArrivals } from '../../src/schedule/arrival-shape.js';
import { nativeAddon } from '../../src/native/addon.js';
import { monotonicNs } from '../../src/record/clock.js';
import { createDeadlineWait, resolveSendTimer } from '../../src/schedule/deadline-wait.js';
import { PoissonSchedule } from '../../src/schedule/poisson-schedule.js';
import type { SendTimer } from '../../src/schedule/send-timer.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const hasAddon = nativeAddon() !== null;
const MODES: SendTimer[] = hasAddon ? ['native', 'spin', 'timeout'] : ['spin', 'timeout'];

test('auto is native with the addon, spin without', () => {
  assert.equal(resolveSendTimer('auto'), hasAddon ? 'native' : 'spin');
  assert.equal(resolveSendTimer('timeout'), 'timeout');
});

for (const mode of MODES) {
  test(`${mode}: fires once at or after each deadline, never before`, async () => {
    const lateNs: number[] = [];
    let deadline = 0;
    await new Promise<void>((resolve) => {
      const wait = createDeadlineWait(() => {
        lateNs.push(monotonicNs() - deadline);
        if (lateNs.length === 30) {
          wait.close();
          resolve();
          return;
        }
        // Gaps from 0 (already due) to 3 ms.
        deadline = monotonicNs() + (lateNs.length % 4) * 1e6;
        wait.waitUntil(deadline);
      }, mode);
      deadline = monotonicNs() + 2e6;
      wait.waitUntil(deadline);
    });
    assert.equal(lateNs.length, 30);
    assert.ok(
      lateNs.every((l) => l >= 0),
      `early by ${-Math.min(...lateNs)} ns`,
    );
  });

  test(`${mode}: a re-arm replaces the deadline; cancel stops it`, async () => {
    let fired = 0;
    const wait = createDeadlineWait(() => fired++, mode);
    wait.waitUntil(monotonicNs() + 5e6);
    const later = monotonicNs() + 30e6;
    wait.waitUntil(later);
    await new Promise((r) => setTimeout(r, 15));
    assert.equal(fired, 0, 'the first deadline was replaced');
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(fired, 1);
    wait.waitUntil(monotonicNs() + 5e6);
    wait.cancel();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(fired, 1, 'cancelled');
    wait.close();
  });

  test(`${mode}: poisson at 2,000/s over 0.5 s: the count, absolute deadlines, never early`, async () => {
    const scheduled: number[] = [];
    const issuedAt: number[] = [];
    const s = new PoissonSchedule(
      { issue: (t) => (scheduled.push(t), issuedAt.push(monotonicNs())) },
      { maxRequests: Infinity, durationNs: 0.5e9 },
      arrivalTimesFor(poissonArrivals(2000), 11, 0, 1),
      mode,
    );
    const done = new Promise<void>((resolve) => (s.onExhausted = resolve));
    s.start(monotonicNs() + 2e6);
    await done;
    // 1,000 expected; sd ≈ 32.
    assert.ok(scheduled.length > 850 && scheduled.length < 1150, `issued ${scheduled.length}`);
    assert.ok(
      issuedAt.every((t, i) => t >= scheduled[i]),
      'never early',
    );
  });
}

/** Runs a script in a fresh process (nothing else keeps its loop alive). */
function child(script: string): { status: number | null; stdout: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout + r.stderr, ms: performance.now() - t0 };
}

test(
  'native: an armed wait keeps the process alive; a closed one lets it exit',
  { skip: !hasAddon && 'addon not built' },
  () => {
    const prelude =
      "import { createDeadlineWait } from './src/schedule/deadline-wait.ts';" +
      "import { monotonicNs } from './src/record/clock.ts';";
    const armed = child(
      prelude +
        "const w = createDeadlineWait(() => { console.log('fired'); w.close(); }, 'native');" +
        'w.waitUntil(monotonicNs() + 200e6);',
    );
    assert.equal(armed.status, 0, armed.stdout);
    assert.match(armed.stdout, /fired/, 'the armed wait alone kept the loop running until it fired');
    const closed = child(
      prelude +
        "const w = createDeadlineWait(() => console.log('fired'), 'native');" +
        'w.waitUntil(monotonicNs() + 5e9); w.close();',
    );
    assert.equal(closed.status, 0, closed.stdout);
    assert.doesNotMatch(closed.stdout, /fired/);
    assert.ok(closed.ms < 4000, `exited after ${closed.ms.toFixed(0)} ms, not at the 5 s deadline`);
  },
);
