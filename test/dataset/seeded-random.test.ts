import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/dataset/seeded-random.js';

const draws = (random: SeededRandom, n: number): number[] => Array.from({ length: n }, () => random.nextUint32());

test('xoshiro128** matches the reference implementation from state [1, 2, 3, 4]', () => {
  // Outputs of prng.di.unimi.it/xoshiro128starstar.c with s = {1, 2, 3, 4}.
  const random = SeededRandom.fromState([1, 2, 3, 4]);
  assert.deepEqual(draws(random, 6), [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
});

test('the all-zero state is refused', () => {
  assert.throws(() => SeededRandom.fromState([0, 0, 0, 0]), RangeError);
});

test('same seed gives the same sequence; different seeds differ', () => {
  assert.deepEqual(draws(new SeededRandom(123), 100), draws(new SeededRandom(123), 100));
  assert.notDeepEqual(draws(new SeededRandom(123), 100), draws(new SeededRandom(124), 100));
  // Seeds that differ only above bit 32 still differ.
  assert.notDeepEqual(draws(new SeededRandom(1), 10), draws(new SeededRandom(1 + 2 ** 32), 10));
  assert.notDeepEqual(draws(new SeededRandom(-1), 10), draws(new SeededRandom(2 ** 32 - 1), 10));
});

test('derived streams are deterministic and differ from each other and from the root', () => {
  assert.deepEqual(draws(SeededRandom.derive(9, 3), 50), draws(SeededRandom.derive(9, 3), 50));
  assert.deepEqual(draws(SeededRandom.derive(9, 'x'), 50), draws(SeededRandom.derive(9, 'x'), 50));
  const sequences = [
    draws(new SeededRandom(9), 50),
    ...[0, 1, 2, 3, 2 ** 32].map((stream) => draws(SeededRandom.derive(9, stream), 50)),
    draws(SeededRandom.derive(10, 0), 50),
    draws(SeededRandom.derive(9, 'sample-order'), 50),
    draws(SeededRandom.derive(9, 'synthetic-dataset'), 50),
  ];
  const keys = new Set(sequences.map((s) => s.join(',')));
  assert.equal(keys.size, sequences.length);
});

test('non-integer seeds and streams are refused', () => {
  assert.throws(() => new SeededRandom(1.5), RangeError);
  assert.throws(() => new SeededRandom(Number.NaN), RangeError);
  assert.throws(() => SeededRandom.derive(1, 0.5), RangeError);
});

test('nextUint32 is an integer in [0, 2^32)', () => {
  const random = new SeededRandom(5);
  for (let i = 0; i < 10_000; i++) {
    const x = random.nextUint32();
    assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 32, String(x));
  }
});

test('nextFloat is in [0, 1) with mean ≈ 0.5 over 100k draws', () => {
  const random = new SeededRandom(2024);
  const n = 100_000;
  let sum = 0;
  let below = 0;
  for (let i = 0; i < n; i++) {
    const x = random.nextFloat();
    assert.ok(x >= 0 && x < 1, String(x));
    sum += x;
    if (x < 0.25) below++;
  }
  // Standard error of the mean is 1/sqrt(12n) ≈ 0.0009; 0.005 is > 5 sigma.
  assert.ok(Math.abs(sum / n - 0.5) < 0.005, `mean ${sum / n}`);
  assert.ok(Math.abs(below / n - 0.25) < 0.01, `P(x < 0.25) = ${below / n}`);
});

test('nextIntBelow is in range and covers every value', () => {
  const random = new SeededRandom(11);
  const counts = new Array<number>(7).fill(0);
  for (let i = 0; i < 70_000; i++) counts[random.nextIntBelow(7)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 600, String(counts));
  assert.equal(random.nextIntBelow(1), 0);
  assert.throws(() => random.nextIntBelow(0), RangeError);
  assert.throws(() => random.nextIntBelow(2 ** 32 + 1), RangeError);
});
