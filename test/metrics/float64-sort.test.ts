import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sortFloat64InPlace } from '../../src/metrics/float64-sort.js';

function expectSameAsBuiltIn(values: Float64Array, what: string): void {
  const expected = Float64Array.from(values).sort();
  const actual = sortFloat64InPlace(values);
  assert.equal(actual, values, `${what}: sorts in place`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}: index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

test('radix sort equals the built-in TypedArray sort, element for element (sign of zero included)', () => {
  let seed = 7;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const n = 100_000; // above the radix threshold
  const gen: Record<string, () => number> = {
    'ns integers (ITL-like)': () => Math.round(rand() * 5e7),
    'large integers': () => Math.round(rand() * 2 ** 52),
    fractional: () => rand() * 1e6 - 0.5,
    'negative and positive': () => (rand() - 0.5) * 1e9,
    'tiny magnitudes': () => (rand() - 0.5) * 1e-300,
    'few distinct values': () => [0, -0, 1, -1, 5e6, Infinity, -Infinity][Math.floor(rand() * 7)],
  };
  for (const [what, next] of Object.entries(gen)) expectSameAsBuiltIn(Float64Array.from({ length: n }, next), what);
  expectSameAsBuiltIn(new Float64Array(n).fill(3.25), 'all equal (every pass skipped)');
  expectSameAsBuiltIn(
    Float64Array.from({ length: n }, (_, i) => n - i),
    'descending',
  );
  expectSameAsBuiltIn(
    Float64Array.from({ length: 1000 }, () => rand()),
    'short (built-in path)',
  );
  // A view into a larger buffer: only the view is sorted.
  const big = Float64Array.from({ length: n + 10 }, (_, i) => (i < 5 || i >= n + 5 ? -1 : Math.round(rand() * 1e6)));
  expectSameAsBuiltIn(big.subarray(5, n + 5), 'subarray');
  assert.ok(
    big.slice(0, 5).every((v) => v === -1) && big.slice(n + 5).every((v) => v === -1),
    'bytes outside the view untouched',
  );
});
