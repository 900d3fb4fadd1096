import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/dataset/seeded-random.js';
import { monotonicNs } from '../../src/record/clock.js';
import { ConcurrencySchedule } from '../../src/schedule/concurrency-schedule.js';
import { OfflineSchedule } from '../../src/schedule/offline-schedule.js';
import { ExponentialGaps } from '../../src/schedule/interarrival-gaps.js';
import { PoissonSchedule } from '../../src/schedule/poisson-schedule.js';
import { RateArrivals } from '../../src/schedule/rate-arrivals.js';
import type { Schedule } from '../../src/schedule/schedule.js';

function waitExhausted(s: Schedule, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (s.exhausted) return resolve();
    const t = setTimeout(() => reject(new Error('schedule did not finish in time')), timeoutMs);
    s.onExhausted = () => {
      clearTimeout(t);
      resolve();
    };
  });
}

test('offline issues exactly N requests, all scheduled at the start', () => {
  const times: number[] = [];
  const s = new OfflineSchedule({ issue: (t) => times.push(t) }, { maxRequests: 250, durationNs: Infinity });
  let exhausted = 0;
  s.onExhausted = () => exhausted++;
  s.start(123);
  assert.equal(times.length, 250);
  assert.ok(times.every((t) => t === 123));
  assert.equal(exhausted, 1);
});

test('poisson: mean rate, absolute deadlines, count and duration limits', async () => {
  const qps = 2000;
  const durationNs = 0.5e9;
  const scheduled: number[] = [];
  const issuedAt: number[] = [];
  const s = new PoissonSchedule(
    { issue: (t) => (scheduled.push(t), issuedAt.push(monotonicNs())) },
    { maxRequests: Infinity, durationNs },
    new RateArrivals(new ExponentialGaps(SeededRandom.derive(7, 0)), qps, 0, 1),
  );
  const start = monotonicNs() + 5e6;
  s.start(start);
  await waitExhausted(s, 5000);
  // Expected 1000 arrivals; Poisson sd ≈ 32, so ±150 is > 4 sd.
  assert.ok(scheduled.length > 850 && scheduled.length < 1150, `issued ${scheduled.length}, expected ~1000`);
  assert.ok(
    scheduled.every((t, i) => i === 0 || t >= scheduled[i - 1]),
    'deadlines are non-decreasing',
  );
  assert.ok(scheduled[scheduled.length - 1] <= start + durationNs);
  // No request is issued before its deadline.
  assert.ok(
    issuedAt.every((t, i) => t >= scheduled[i]),
    'never early',
  );
  // Deadlines come from the seeded RNG only (absolute, no drift): the same seed reproduces them.
  const rng = SeededRandom.derive(7, 0);
  let t = start;
  for (let i = 0; i < 50; i++) {
    t += -Math.log(1 - rng.nextFloat()) * (1e9 / qps);
    assert.ok(Math.abs(scheduled[i] - t) < 1e-3 * 1e6, `deadline ${i} reproduces`);
  }
  const meanGapMs = (scheduled[scheduled.length - 1] - scheduled[0]) / (scheduled.length - 1) / 1e6;
  assert.ok(meanGapMs > 0.42 && meanGapMs < 0.6, `mean gap ${meanGapMs} ms, expected 0.5`);
});

test('poisson stops at maxRequests', async () => {
  let n = 0;
  const s = new PoissonSchedule(
    { issue: () => n++ },
    { maxRequests: 40, durationNs: Infinity },
    new RateArrivals(new ExponentialGaps(new SeededRandom(1)), 5000, 0, 1),
  );
  s.start(monotonicNs());
  await waitExhausted(s, 5000);
  assert.equal(n, 40);
});

test('poisson with a send window: one wake sends the window, each wake a window late, never early', async () => {
  const windowNs = 5e6;
  const scheduled: number[] = [];
  const issuedAt: number[] = [];
  const turnFirst: boolean[] = [];
  let inTurn = false;
  const s = new PoissonSchedule(
    {
      issue: (t) => {
        scheduled.push(t);
        issuedAt.push(monotonicNs());
        turnFirst.push(!inTurn);
        if (!inTurn) {
          inTurn = true;
          queueMicrotask(() => (inTurn = false));
        }
      },
    },
    { maxRequests: 400, durationNs: Infinity },
    new RateArrivals(new ExponentialGaps(SeededRandom.derive(11, 0)), 2000, 0, 1),
    'auto',
    windowNs,
  );
  s.start(monotonicNs());
  await waitExhausted(s, 5000);
  assert.equal(scheduled.length, 400);
  assert.ok(
    issuedAt.every((t, i) => t >= scheduled[i]),
    'never early',
  );
  // A 5 ms window at 2,000/s holds ~10 sends: far fewer wakes than sends (1 per send without it).
  const turns = turnFirst.filter(Boolean).length;
  assert.ok(turns < 400 / 3, `${turns} wakes for 400 sends`);
  // The wake that opens a turn is armed a window after that turn's first deadline.
  for (let i = 0; i < scheduled.length; i++) {
    if (turnFirst[i])
      assert.ok(issuedAt[i] - scheduled[i] >= windowNs, `send ${i} woke ${(issuedAt[i] - scheduled[i]) / 1e6} ms late`);
  }
});

test('concurrency keeps exactly C in flight and never more', async () => {
  const C = 7;
  let inFlight = 0;
  let peak = 0;
  let issued = 0;
  const rng = new SeededRandom(3);
  const schedule: ConcurrencySchedule = new ConcurrencySchedule(
    {
      issue: () => {
        issued++;
        inFlight++;
        peak = Math.max(peak, inFlight);
        setTimeout(() => {
          inFlight--;
          schedule.onRequestFinished();
        }, rng.nextIntBelow(4));
      },
    },
    { maxRequests: 300, durationNs: Infinity },
    C,
  );
  schedule.start(monotonicNs());
  assert.equal(inFlight, C, 'C requests issued at once');
  await waitExhausted(schedule, 10_000);
  assert.equal(issued, 300);
  assert.equal(peak, C);
});

test('concurrency stops issuing at the duration', async () => {
  let issued = 0;
  const schedule: ConcurrencySchedule = new ConcurrencySchedule(
    { issue: () => (issued++, setTimeout(() => schedule.onRequestFinished(), 5)) },
    { maxRequests: Infinity, durationNs: 200e6 },
    2,
  );
  const t0 = performance.now();
  schedule.start(monotonicNs());
  await waitExhausted(schedule, 5000);
  const elapsed = performance.now() - t0;
  assert.ok(elapsed >= 190 && elapsed < 1500, `stopped after ${elapsed} ms`);
  assert.ok(issued > 10 && issued < 200, `issued ${issued}`);
});

test('offline with a window: at most `window` issued at once, one more per finish, all scheduled at the start; a stop leaves the rest unissued', () => {
  const times: number[] = [];
  const s = new OfflineSchedule({ issue: (t) => times.push(t) }, { maxRequests: 1000, durationNs: Infinity }, 10);
  s.start(77);
  assert.equal(times.length, 10, 'the window');
  assert.equal(s.exhausted, false);
  for (let i = 0; i < 5; i++) s.onRequestFinished();
  assert.equal(times.length, 15, 'one more per finished request');
  s.stop();
  assert.equal(s.exhausted, true);
  s.onRequestFinished();
  assert.equal(times.length, 15, 'nothing after a stop');
  assert.ok(
    times.every((t) => t === 77),
    'every sample is due at the start',
  );
});

test('offline with a window issues exactly N in the end, and is exhausted once the last is issued', () => {
  let issued = 0;
  const s = new OfflineSchedule({ issue: () => issued++ }, { maxRequests: 25, durationNs: Infinity }, 8);
  let exhausted = 0;
  s.onExhausted = () => exhausted++;
  s.start(0);
  while (!s.exhausted) s.onRequestFinished();
  assert.equal(issued, 25);
  assert.equal(exhausted, 1);
});

test('poisson sends what is due when a request ends, before its timer fires, once each', () => {
  const scheduled: number[] = [];
  const gapNs = 2e6;
  let s: PoissonSchedule | null = null;
  // A request that ends inside issue() (a send failing at once) must not start a nested tick.
  const target = { issue: (t: number) => (scheduled.push(t), s!.onRequestFinished(monotonicNs())) };
  s = new PoissonSchedule(target, { maxRequests: Infinity, durationNs: 1e9 }, { nextGapNs: () => gapNs }, 'timeout');
  const start = monotonicNs();
  s.start(start);
  s.onRequestFinished(start + gapNs - 1); // ended before the first send time: nothing due
  assert.deepEqual(scheduled, []);
  // Busy past two send times (the timer cannot fire: this turn holds the loop), then a request ends.
  while (monotonicNs() < start + 2 * gapNs + 1e5);
  s.onRequestFinished(monotonicNs());
  const after = monotonicNs();
  // Every send due by then (two at least; more if this process was held up meanwhile), each once, in order.
  assert.ok(scheduled.length >= 2, `sent ${scheduled.length}`);
  assert.deepEqual(
    scheduled,
    scheduled.map((_, i) => start + (i + 1) * gapNs),
  );
  assert.ok(scheduled[scheduled.length - 1] <= after);
  s.stop();
});
