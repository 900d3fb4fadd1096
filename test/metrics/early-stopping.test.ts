import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  discardCount,
  earlyStoppingEstimate,
  earlyStoppingPercentiles,
  logGamma,
  minPassing,
  sampleFloor,
} from '../../src/metrics/early-stopping.js';
import { summarizeLatencySeriesInPlace } from '../../src/metrics/series-summary.js';

/*
 * The reference below is LoadGen's published formula written from scratch, without the
 * incomplete beta: with h queries under the latency bound and t over it, the run passes when the
 * binomial tail P(X ≤ t), X ~ Binomial(h + t, 1 − p), is below 1 − 0.99. minPassing(t) is the
 * fewest such h; the estimate discards the largest t with minPassing(t) + t ≤ n and reports the
 * t-th highest sample. Log-factorials are summed exactly from a table, the tail term by term.
 */
const LOG_FACT = [0];
function logFactorial(m: number): number {
  for (let i = LOG_FACT.length; i <= m; i++) LOG_FACT.push(LOG_FACT[i - 1] + Math.log(i));
  return LOG_FACT[m];
}
function binomialTail(trials: number, t: number, q: number): number {
  let sum = 0;
  for (let k = 0; k <= t; k++) {
    const lc = logFactorial(trials) - logFactorial(k) - logFactorial(trials - k);
    sum += Math.exp(lc + k * Math.log(q) + (trials - k) * Math.log1p(-q));
  }
  return sum;
}
function refMinPassing(t: number, p: number): number {
  const q = 1 - p;
  let lo = 1;
  let hi = 1;
  while (binomialTail(hi + t, t, q) >= 0.01) hi *= 2;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (binomialTail(mid + t, t, q) < 0.01) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
function refDiscard(n: number, p: number): number {
  if (refMinPassing(1, p) + 1 > n) return 0;
  let lo = 1; // passes
  let hi = n; // fails: minPassing(n) + n > n
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (refMinPassing(mid, p) + mid <= n) lo = mid;
    else hi = mid;
  }
  return lo;
}

test('sample floors: p90 needs 64, p99 662, p99.9 6,636 (and the binomial tail agrees)', () => {
  assert.equal(sampleFloor(90), 64);
  assert.equal(sampleFloor(99), 662);
  assert.equal(sampleFloor(99.9), 6636);
  for (const p of [50, 75, 80, 90, 95, 97, 99, 99.9])
    assert.equal(sampleFloor(p), refMinPassing(1, p / 100) + 1, `p${p}`);
  // LoadGen's own reference numbers (early_stopping.cc): t = 0 → 459 at p99, t = 1 → 661.
  assert.equal(minPassing(0, 0.99), 459);
  assert.equal(minPassing(1, 0.99), 661);
});

test('below the floor the estimate is null; at the floor it is the highest sample', () => {
  const at = Float64Array.from({ length: 662 }, (_, i) => i + 1);
  assert.equal(earlyStoppingEstimate(at, 99), 662);
  assert.equal(earlyStoppingEstimate(at.subarray(0, 661), 99), null);
  const p90 = Float64Array.from({ length: 64 }, (_, i) => i);
  assert.equal(earlyStoppingEstimate(p90, 90), 63);
  assert.equal(earlyStoppingEstimate(p90.subarray(0, 63), 90), null);
});

test('n = 10,000 at p99: the 77th highest sample (minPassing(77) + 77 ≤ 10,000 < minPassing(78) + 78)', () => {
  assert.equal(discardCount(10_000, 0.99), 77);
  assert.ok(refMinPassing(77, 0.99) + 77 <= 10_000);
  assert.ok(refMinPassing(78, 0.99) + 78 > 10_000);
  const sorted = Float64Array.from({ length: 10_000 }, (_, i) => i + 1);
  assert.equal(earlyStoppingEstimate(sorted, 99), 10_000 - 77 + 1);
  // The empirical p99 ("lower") is sample 9,900; the estimate is always at or above it.
  assert.ok(earlyStoppingEstimate(sorted, 99)! >= 9900);
});

test('discard counts equal the binomial-tail reference across sizes and the grid', () => {
  for (const n of [64, 100, 662, 1000, 6636, 10_000]) {
    for (const p of [50, 75, 80, 90, 95, 97, 99, 99.9]) {
      assert.equal(discardCount(n, p / 100), refDiscard(n, p / 100), `n=${n} p${p}`);
    }
  }
});

test('every grid percentile from p50 up, keyed like percentiles; nulls below each floor', () => {
  const sorted = Float64Array.from({ length: 1000 }, (_, i) => i * 2);
  const es = earlyStoppingPercentiles(sorted);
  assert.deepEqual(Object.keys(es), ['99.9', '99.0', '97.0', '95.0', '90.0', '80.0', '75.0', '50.0']);
  assert.equal(es['99.9'], null); // 1,000 < 6,636
  assert.equal(es['99.0'], sorted[1000 - refDiscard(1000, 0.99)]);
  assert.equal(es['50.0'], sorted[1000 - refDiscard(1000, 0.5)]);
});

test('latency series: early_stopping_percentiles sits after percentiles; an empty one is all null', () => {
  const s = summarizeLatencySeriesInPlace(Float64Array.from({ length: 700 }, (_, i) => 700 - i));
  const keys = Object.keys(s);
  assert.equal(keys.indexOf('early_stopping_percentiles'), keys.indexOf('percentiles') + 1);
  assert.equal(s.early_stopping_percentiles['99.0'], 700);
  const empty = summarizeLatencySeriesInPlace(new Float64Array(0));
  assert.equal(Object.keys(empty.early_stopping_percentiles).length, 8);
  for (const v of Object.values(empty.early_stopping_percentiles)) assert.equal(v, null);
});

test('logGamma: integers are log-factorials, Γ(1/2) = √π', () => {
  for (const m of [1, 2, 5, 10, 11, 50, 1000, 100_000]) {
    const exact = logFactorial(m - 1);
    assert.ok(Math.abs(logGamma(m) - exact) <= 1e-13 * Math.max(1, Math.abs(exact)), `Γ(${m})`);
  }
  assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-14);
});
