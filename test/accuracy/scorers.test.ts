/** Scorers: one contract table run against every scorer, then each scorer's own cases. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mathEquivalent, numericValue } from '../../src/accuracy/math-equivalence-scorer.js';
import { normalizeAnswer } from '../../src/accuracy/normalized-match-scorer.js';
import { lcsLength, rougeScores, rougeTokens } from '../../src/accuracy/rouge-scorer.js';
import { SCORERS, scorerByName } from '../../src/accuracy/scorers.js';
import { extractorByName } from '../../src/accuracy/extractors.js';

describe('every scorer keeps the contract', () => {
  for (const scorer of SCORERS) {
    test(`${scorer.id}: no answer scores 0; the truth itself scores 1; scores stay in [0, 1]`, () => {
      for (const truth of ['42', 'Paris', 'the cat sat on the mat']) {
        assert.equal(scorer.score(null, truth), 0);
        assert.equal(scorer.score(truth, truth), 1, truth);
        for (const answer of ['', 'x', '41', 'the dog', '\\boxed{42}'])
          assert.ok(scorer.score(answer, truth) >= 0 && scorer.score(answer, truth) <= 1);
      }
    });
    test(`${scorer.id}: is found by its name, and its default extractor exists`, () => {
      assert.equal(scorerByName(scorer.id).id, scorer.id);
      assert.doesNotThrow(() => extractorByName(scorer.defaultExtractor));
    });
  }
  test('code-execution scorers are refused with the reason', () => {
    assert.throws(() => scorerByName('code_bench_scorer'), /sandbox/);
    assert.throws(() => scorerByName('pass_at_l'), /did you mean pass_at_1/);
  });
});

describe('pass_at_1, string_match, normalized_match', () => {
  test('pass_at_1 is exact', () => {
    assert.equal(scorerByName('pass_at_1').score('C ', 'C'), 0);
    assert.equal(scorerByName('string_match').score(' C\n', 'C'), 1);
  });
  test('normalized_match ignores case, punctuation, articles and spaces', () => {
    assert.equal(normalizeAnswer('The  Eiffel Tower!'), 'eiffel tower');
    assert.equal(scorerByName('normalized_match').score('the eiffel tower.', 'Eiffel Tower'), 1);
    assert.equal(scorerByName('normalized_match').score('Eiffel', 'Eiffel Tower'), 0);
  });
});

describe('math_equivalence', () => {
  const same: [string, string][] = [
    ['1/2', '\\frac{1}{2}'],
    ['0.5', '\\dfrac{1}{2}'],
    ['$\\frac12$', '0.5'],
    ['033', '33'],
    ['1,000', '1000'],
    ['90^\\circ', '90'],
    ['\\left(3\\right)', '(3)'],
    ['x+1', 'x + 1'],
  ];
  for (const [a, b] of same) test(`${a} = ${b}`, () => assert.ok(mathEquivalent(a, b)));
  const different: [string, string][] = [
    ['1/3', '0.33'],
    ['34', '33'],
    ['x+1', 'x-1'],
  ];
  for (const [a, b] of different) test(`${a} ≠ ${b}`, () => assert.ok(!mathEquivalent(a, b)));
  test('numbers parse, others do not', () => {
    assert.equal(numericValue('-3/4'), -0.75);
    assert.equal(numericValue('abc'), null);
  });
});

describe('rouge, hand-computed', () => {
  test('tokens as rouge_score makes them', () => {
    assert.deepEqual(rougeTokens("The cat's running, fast!"), ['the', 'cat', 's', 'run', 'fast']);
  });
  test('the cat sat on the mat / the cat is on the mat', () => {
    const r = rougeScores('the cat sat on the mat', 'the cat is on the mat');
    // unigrams: the×2, cat, on, mat overlap = 5 of 6 each side
    assert.ok(Math.abs(r.rouge1 - 5 / 6) < 1e-12);
    // bigrams: "the cat", "on the", "the mat" = 3 of 5 each side
    assert.ok(Math.abs(r.rouge2 - 3 / 5) < 1e-12);
    // LCS: the cat on the mat = 5
    assert.ok(Math.abs(r.rougeL - 5 / 6) < 1e-12);
  });
  test('precision and recall differ: F1 is their harmonic mean', () => {
    // pred 2 tokens, ref 4, LCS 2: P = 1, R = 0.5, F = 2/3
    assert.ok(Math.abs(rougeScores('a b', 'a x b y').rougeL - 2 / 3) < 1e-12);
  });
  test('LCS of disjoint and empty', () => {
    assert.equal(lcsLength(['a'], ['b']), 0);
    assert.equal(lcsLength([], ['b']), 0);
    assert.equal(rougeScores('', 'abc').rouge1, 0);
  });
});
