import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PERCENTILE_KEYS, computePercentiles, percentileOfSorted } from '../../src/metrics/percentiles.js';

test('PERCENTILE_KEYS is the MLPerf Endpoints grid, as exact strings', () => {
  assert.deepEqual(
    [...PERCENTILE_KEYS],
    ['99.9', '99.0', '97.0', '95.0', '90.0', '80.0', '75.0', '50.0', '25.0', '10.0', '5.0', '1.0'],
  );
});

test('values 1..10 give the numpy "lower" percentiles', () => {
  // Shuffled on purpose: the function must sort.
  const values = Float64Array.from([7, 3, 10, 1, 9, 2, 8, 5, 4, 6]);
  const p = computePercentiles(values);
  // index = floor(p/100 * 9)
  assert.deepEqual(p, {
    '99.9': 9, // floor(8.991) = 8
    '99.0': 9, // floor(8.91) = 8
    '97.0': 9, // floor(8.73) = 8
    '95.0': 9, // floor(8.55) = 8
    '90.0': 9, // floor(8.1) = 8
    '80.0': 8, // floor(7.2) = 7
    '75.0': 7, // floor(6.75) = 6
    '50.0': 5, // floor(4.5) = 4
    '25.0': 3, // floor(2.25) = 2
    '10.0': 1, // floor(0.9) = 0
    '5.0': 1,
    '1.0': 1,
  });
  assert.deepEqual([...values], [7, 3, 10, 1, 9, 2, 8, 5, 4, 6], 'input left untouched');
});

test('a single sample is every percentile', () => {
  const p = computePercentiles(Float64Array.of(42.5));
  for (const key of PERCENTILE_KEYS) assert.equal(p[key], 42.5);
});

test('sorting is numeric, not lexicographic', () => {
  const p = computePercentiles(Float64Array.from([100, 9, 20, 1000, 3]));
  assert.equal(p['50.0'], 20);
  assert.equal(p['1.0'], 3);
  assert.equal(p['99.9'], 100); // floor(0.999 * 4) = 3
});

test('index boundaries match numpy for n = 1001 (0..1000)', () => {
  const sorted = Float64Array.from({ length: 1001 }, (_, i) => i);
  // numpy.percentile(np.arange(1001), q, method="lower")
  assert.equal(percentileOfSorted(sorted, 99.9), 999);
  assert.equal(percentileOfSorted(sorted, 97), 970);
  assert.equal(percentileOfSorted(sorted, 1), 10);
  assert.equal(percentileOfSorted(sorted, 100), 1000);
  assert.equal(percentileOfSorted(sorted, 0), 0);
});

test('empty input and out-of-range p are refused', () => {
  assert.throws(() => computePercentiles(new Float64Array(0)), RangeError);
  assert.throws(() => percentileOfSorted(Float64Array.of(1), 101), RangeError);
  assert.throws(() => percentileOfSorted(Float64Array.of(1), Number.NaN), RangeError);
});
