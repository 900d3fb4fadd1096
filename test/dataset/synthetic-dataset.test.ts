import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticDataset } from '../../src/dataset/synthetic-dataset.js';
import { badInput } from './bad-input.js';

const words = (s: string): number => s.split(/\s+/).filter((w) => w !== '').length;

test('same (count, seed) gives identical prompts; a different seed gives different ones', () => {
  const a = syntheticDataset({ count: 50, seed: 7 });
  assert.deepEqual(syntheticDataset({ count: 50, seed: 7 }), a);
  const b = syntheticDataset({ count: 50, seed: 8 });
  assert.notDeepEqual(b, a);
  assert.ok(b.filter((s, i) => s.prompt !== a[i].prompt).length > 40);
});

test('a smaller count is a prefix of a larger one', () => {
  assert.deepEqual(syntheticDataset({ count: 10, seed: 3 }), syntheticDataset({ count: 30, seed: 3 }).slice(0, 10));
});

test('prompts have exactly promptWords words (default 64) and read like instructions', () => {
  for (const sample of syntheticDataset({ count: 20, seed: 1 })) {
    assert.equal(words(sample.prompt), 64);
    assert.match(sample.prompt, /^[A-Z][a-z]+ .*\.$/);
    assert.equal(sample.messages, undefined);
    assert.equal(sample.maxOutputTokens, undefined);
  }
  for (const promptWords of [1, 3, 9, 200]) {
    for (const sample of syntheticDataset({ count: 5, seed: 2, promptWords })) {
      assert.equal(words(sample.prompt), promptWords);
      assert.ok(sample.prompt.endsWith('.') && !sample.prompt.endsWith('..'), sample.prompt);
    }
  }
});

test('prompts vary within one dataset', () => {
  const prompts = new Set(syntheticDataset({ count: 100, seed: 5 }).map((s) => s.prompt));
  assert.equal(prompts.size, 100);
});

test('invalid options are rejected', () => {
  assert.throws(() => syntheticDataset({ count: 0, seed: 1 }), badInput('synthetic_option_invalid', /count/));
  assert.throws(() => syntheticDataset({ count: 2.5, seed: 1 }), badInput('synthetic_option_invalid', /count/));
  assert.throws(
    () => syntheticDataset({ count: 1, seed: 1, promptWords: 0 }),
    badInput('synthetic_option_invalid', /promptWords/),
  );
});
