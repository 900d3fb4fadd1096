import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleOrder } from '../../src/dataset/sample-order.js';

test('in order: row k % size', () => {
  assert.deepEqual([...sampleOrder(3, 8, 1, false)], [0, 1, 2, 0, 1, 2, 0, 1]);
  assert.deepEqual([...sampleOrder(10, 4, 1, false)], [0, 1, 2, 3]);
  assert.equal(sampleOrder(5, 0, 1, true).length, 0);
});

test('shuffled: every row exactly once per pass, with a fresh permutation each pass', () => {
  const size = 50;
  const order = sampleOrder(size, size * 4 + 17, 99, true);
  const passes: number[][] = [];
  for (let start = 0; start < order.length; start += size) passes.push([...order.subarray(start, start + size)]);
  for (const pass of passes.slice(0, 4)) {
    assert.deepEqual(
      [...pass].sort((a, b) => a - b),
      Array.from({ length: size }, (_, i) => i),
    );
  }
  const last = passes[4];
  assert.equal(last.length, 17);
  assert.equal(new Set(last).size, 17);
  assert.ok(last.every((row) => row >= 0 && row < size));
  assert.notDeepEqual(passes[0], passes[1]);
  assert.notDeepEqual(
    passes[0],
    Array.from({ length: size }, (_, i) => i),
  );
});

test('shuffled: deterministic per seed, different across seeds', () => {
  assert.deepEqual(sampleOrder(100, 300, 7, true), sampleOrder(100, 300, 7, true));
  assert.notDeepEqual(sampleOrder(100, 300, 7, true), sampleOrder(100, 300, 8, true));
});

test('shuffled: fewer requests than rows gives distinct rows', () => {
  const order = sampleOrder(1000, 30, 4, true);
  assert.equal(new Set(order).size, 30);
  assert.ok(order.every((row) => row < 1000));
});

test('shuffled: a one-row dataset always uses row 0', () => {
  assert.deepEqual([...sampleOrder(1, 5, 4, true)], [0, 0, 0, 0, 0]);
});

test('invalid sizes are refused', () => {
  assert.throws(() => sampleOrder(0, 5, 1, false), RangeError);
  assert.throws(() => sampleOrder(3, -1, 1, true), RangeError);
  assert.throws(() => sampleOrder(3, 1.5, 1, true), RangeError);
});
