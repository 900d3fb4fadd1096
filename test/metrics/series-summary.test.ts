import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PERCENTILE_KEYS } from '../../src/metrics/percentiles.js';
import { summarizeSeries, summarizeSeriesInPlace } from '../../src/metrics/series-summary.js';

test("values 1..10: MLPerf Endpoints' median (p50 lower), sample std_dev, lower percentiles", () => {
  const s = summarizeSeries([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  assert.equal(s.min, 1);
  assert.equal(s.max, 10);
  // p50 "lower": index floor(0.5 × 9) = 4, the 5th value — an observed sample, not 5.5.
  assert.equal(s.median, 5);
  assert.equal(s.avg, 5.5);
  assert.equal(s.total, 55);
  // sum((x - 5.5)^2) / (10 - 1) = 82.5 / 9
  assert.equal(s.std_dev, Math.sqrt(82.5 / 9));
  assert.equal(s.percentiles['50.0'], 5);
  assert.equal(s.percentiles['99.9'], 9);
  assert.equal(s.percentiles['90.0'], 9);
  assert.equal(s.percentiles['1.0'], 1);
});

test('odd count: median is the middle value', () => {
  const s = summarizeSeries(Float64Array.from([3, 1, 2]));
  assert.equal(s.median, 2);
  assert.equal(s.avg, 2);
  assert.equal(s.std_dev, 1); // sqrt(2 / (3 - 1))
});

test('a single sample', () => {
  const s = summarizeSeries(Float64Array.of(7));
  assert.deepEqual(
    { min: s.min, max: s.max, median: s.median, avg: s.avg, std_dev: s.std_dev, total: s.total },
    // One sample: std_dev 0, as theirs (n − 1 would divide by zero).
    { min: 7, max: 7, median: 7, avg: 7, std_dev: 0, total: 7 },
  );
  for (const key of PERCENTILE_KEYS) assert.equal(s.percentiles[key], 7);
});

test('empty series: same keys, every number null', () => {
  const s = summarizeSeries([]);
  assert.equal(s.min, null);
  assert.equal(s.max, null);
  assert.equal(s.median, null);
  assert.equal(s.avg, null);
  assert.equal(s.std_dev, null);
  assert.equal(s.total, null);
  assert.deepEqual(Object.keys(s.percentiles), [...PERCENTILE_KEYS]);
  for (const key of PERCENTILE_KEYS) assert.equal(s.percentiles[key], null);
  // The keys survive JSON, so consumers see the shape.
  const json = JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(json).sort(), [
    'avg',
    'histogram',
    'max',
    'median',
    'min',
    'percentiles',
    'std_dev',
    'total',
  ]);
  assert.deepEqual(s.histogram, { buckets: [], counts: [] });
});

test('summarizeSeries leaves its input alone; the in-place variant sorts it', () => {
  const input = Float64Array.from([3, 1, 2]);
  summarizeSeries(input);
  assert.deepEqual([...input], [3, 1, 2]);
  summarizeSeriesInPlace(input);
  assert.deepEqual([...input], [1, 2, 3]);
});
