/** One timer for many deadlines: never early, a few ms late at most, re-armed from what onDue returns. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineTimer } from '../../src/client/deadline-timer.js';
import { monotonicNs } from '../../src/record/clock.js';

test('deadlines in order fire on one timer, none early, each within a few ms', async () => {
  const t0 = monotonicNs();
  // 30 deadlines 7.3 ms apart (fractional, so the ms rounding is exercised).
  const deadlines = Array.from({ length: 30 }, (_, i) => t0 + 20e6 + i * 7.3e6);
  const lateMs: number[] = [];
  let next = 0;
  let fires = 0;
  await new Promise<void>((resolve) => {
    const timer = new DeadlineTimer((now) => {
      fires++;
      while (next < deadlines.length && deadlines[next] <= now) {
        lateMs.push((now - deadlines[next]) / 1e6);
        next++;
      }
      if (next === deadlines.length) resolve();
      return next < deadlines.length ? deadlines[next] : Infinity;
    });
    timer.arm(deadlines[0]);
    // Later deadlines never re-arm: O(1) per entry.
    for (const d of deadlines) timer.arm(d);
  });
  assert.equal(lateMs.length, 30);
  assert.ok(
    lateMs.every((ms) => ms >= 0),
    'never early',
  );
  const sorted = [...lateMs].sort((a, b) => a - b);
  assert.ok(sorted[14] < 3, `median lateness ${sorted[14].toFixed(2)} ms`);
  // One fire per deadline, plus a re-arm now and then when the timer fires early (libuv's clock
  // is cached per loop turn); a late fire can take two at once.
  assert.ok(fires < 90, `${fires} timer fires for 30 deadlines`);
});

test('an earlier deadline re-arms the timer; cancel stops it', async () => {
  const t0 = monotonicNs();
  let firedAt = NaN;
  const due = t0 + 30e6;
  // As every owner does: end what is due, else return the deadline (an early fire re-arms).
  const timer = new DeadlineTimer((now) => (now >= due ? ((firedAt = now), Infinity) : due));
  timer.arm(t0 + 500e6);
  timer.arm(due);
  await new Promise((r) => setTimeout(r, 80));
  assert.ok(firedAt >= t0 + 30e6 && firedAt < t0 + 70e6, `fired ${((firedAt - t0) / 1e6).toFixed(1)} ms in`);
  let fired = false;
  const other = new DeadlineTimer(() => ((fired = true), Infinity));
  other.arm(monotonicNs() + 10e6);
  other.cancel();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(fired, false);
});
