import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HISTOGRAM_BUCKETS, histogramOfSorted, logSpacedEdges } from '../../src/metrics/log-histogram.js';

/** numpy.histogram's rule written plainly: [e_i, e_i+1), the last bucket closed; values clipped first. */
function referenceCounts(values: number[], edges: number[]): number[] {
  const n = edges.length - 1;
  const clipped = values.map((v) => Math.min(Math.max(v, edges[0]), edges[n]));
  return Array.from(
    { length: n },
    (_, i) => clipped.filter((v) => v >= edges[i] && (i === n - 1 ? v <= edges[i + 1] : v < edges[i + 1])).length,
  );
}

test('30 log-spaced edges over [min, max]: equal ratios, ends at min and max', () => {
  const edges = logSpacedEdges(1e6, 1e9);
  assert.equal(edges.length, HISTOGRAM_BUCKETS + 1);
  // exp(log(x)) is not always x in doubles (999999.9999999995 here, in Python too): as theirs.
  assert.equal(edges[0], Math.exp(Math.log(1e6)));
  assert.ok(Math.abs(edges[30] - 1e9) / 1e9 < 1e-12);
  // 1e6 → 1e9 in 30 steps: each edge is 10^(1/10) times the last.
  for (let i = 1; i <= 30; i++) assert.ok(Math.abs(edges[i] / edges[i - 1] - 10 ** 0.1) < 1e-9);
});

test('low clamps to 1 and high to at least 10 × low (their _log_spaced_edges)', () => {
  const edges = logSpacedEdges(0, 0.5);
  assert.equal(edges[0], 1); // exp(log(1)) = 1 exactly
  assert.ok(Math.abs(edges[30] - 10) < 1e-12);
  const flat = logSpacedEdges(500, 500);
  assert.ok(Math.abs(flat[0] - 500) < 1e-9);
  assert.ok(Math.abs(flat[30] - 5000) < 1e-9);
});

test('counts match numpy.histogram semantics and add up to the sample count', () => {
  // Latency-like values in ns, some exactly on edges, and the max itself.
  const values: number[] = [];
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    values.push(1e6 + (x / 2147483648) ** 3 * 5e8);
  }
  const edges = logSpacedEdges(Math.min(...values), Math.max(...values));
  values.push(edges[5], edges[17]);
  const sorted = Float64Array.from(values).sort();
  const h = histogramOfSorted(sorted);
  const expectedEdges = logSpacedEdges(sorted[0], sorted[sorted.length - 1]);
  assert.deepEqual(h.counts, referenceCounts(values, expectedEdges));
  assert.equal(
    h.counts.reduce((a, b) => a + b, 0),
    values.length,
  );
  assert.deepEqual(h.buckets[0], [expectedEdges[0], expectedEdges[1]]);
  assert.equal(h.buckets.length, 30);
});

test('values below 1 land in the first bucket; one repeated value in the first', () => {
  const h = histogramOfSorted(Float64Array.from([0, 0.2, 0.7, 3]));
  assert.equal(h.counts[0], 3);
  assert.equal(
    h.counts.reduce((a, b) => a + b, 0),
    4,
  );
  const same = histogramOfSorted(Float64Array.from([7, 7, 7]));
  assert.equal(same.counts[0], 3);
});

test('histogramOfSorted by binary search counts as clipping each value and walking the buckets up does', () => {
  const walk = (sorted: Float64Array, n = HISTOGRAM_BUCKETS): number[] => {
    const edges = logSpacedEdges(sorted[0], sorted[sorted.length - 1], n);
    const counts = new Array<number>(n).fill(0);
    let bucket = 0;
    for (const x of sorted) {
      const v = Math.min(Math.max(x, edges[0]), edges[n]);
      while (bucket < n - 1 && v >= edges[bucket + 1]) bucket++;
      counts[bucket]++;
    }
    return counts;
  };
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let t = 0; t < 2000; t++) {
    const len = 1 + Math.floor(rnd() * 300);
    const shapes = [
      () => rnd(),
      () => Math.floor(rnd() * 50),
      () => 5,
      () => rnd() * 1e9,
      () => Math.exp(rnd() * 20) - 1,
    ];
    const a = Float64Array.from({ length: len }, shapes[t % shapes.length]).sort();
    // Values exactly on the edges (bucket boundaries).
    if (t % 7 === 0) a.set(logSpacedEdges(a[0], a[len - 1]).slice(1, len - 1), 1);
    a.sort();
    assert.deepEqual(histogramOfSorted(a).counts, walk(a), `case ${t}`);
  }
});
