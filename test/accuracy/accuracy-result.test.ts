import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  scoreAnswers,
  tQuantile975,
  wilsonInterval,
  type AccuracyAnswer,
  type ScoreOptions,
} from '../../src/accuracy/accuracy-result.js';
import type { Extractor } from '../../src/accuracy/extractor.js';
import type { Scorer } from '../../src/accuracy/scorer.js';
import { extractorByName } from '../../src/accuracy/extractors.js';
import { scorerByName } from '../../src/accuracy/scorers.js';

const abcd = extractorByName('abcd_extractor');

function opts(name: string, scorer: Scorer, extractor: Extractor, truths: string[], repeats: number): ScoreOptions {
  return { datasetName: name, groundTruthColumn: 'ground_truth', scorer, extractor, truths, repeats, durationS: 1 };
}
const pass = scorerByName('pass_at_1');

describe('scoreAnswers', () => {
  test('the denominator is every issued answer: failures and missing answers score 0', () => {
    const truths = ['choice1', 'choice2', 'choice3', 'choice4'];
    const answers: AccuracyAnswer[] = [
      { sample: 0, repeat: 0, text: 'Answer: A', finishReason: 'stop' },
      { sample: 1, repeat: 0, text: 'Answer: C', finishReason: 'stop' }, // wrong
      { sample: 2, repeat: 0, text: null, finishReason: null }, // failed
      // sample 3 never came back
    ];
    const { result, verdicts } = scoreAnswers(opts('gpqa', pass, abcd, truths, 1), answers);
    assert.equal(result.total_samples, 4);
    assert.equal(result.score, 0.25);
    assert.equal(result.n_scored, 2);
    assert.equal(result.failures, 2);
    assert.equal(result.complete, false);
    assert.equal(verdicts.length, 3);
    assert.equal(verdicts[0].truth, 'A');
  });
  test('extractor misses, truncation, repeats and duplicates', () => {
    const truths = ['A', 'B'];
    const answers: AccuracyAnswer[] = [
      { sample: 0, repeat: 0, text: 'A', finishReason: 'stop' },
      { sample: 0, repeat: 0, text: 'A', finishReason: 'stop' }, // duplicate: ignored
      { sample: 1, repeat: 0, text: 'no idea', finishReason: 'length' },
      { sample: 0, repeat: 1, text: 'B', finishReason: 'stop' },
      { sample: 1, repeat: 1, text: 'B', finishReason: 'stop' },
    ];
    const { result } = scoreAnswers(opts('x', pass, abcd, truths, 2), answers);
    assert.equal(result.total_samples, 4);
    assert.equal(result.score, 0.5);
    assert.deepEqual(result.per_repeat_scores, [0.5, 0.5]);
    assert.equal(result.extractor_misses, 1);
    assert.equal(result.truncated, 1);
    assert.equal(result.ci95?.method, 'wilson');
  });
  test('graded scores use a t interval and carry the breakdown', () => {
    const rouge = scorerByName('rouge');
    const id = extractorByName('identity_extractor');
    const truths = ['the cat sat', 'a dog ran far'];
    const answers: AccuracyAnswer[] = [
      { sample: 0, repeat: 0, text: 'the cat sat', finishReason: 'stop' },
      { sample: 1, repeat: 0, text: 'a dog', finishReason: 'stop' },
    ];
    const { result } = scoreAnswers(opts('sum', rouge, id, truths, 1), answers);
    assert.equal(result.ci95?.method, 't');
    assert.ok(result.breakdown !== undefined && 'rouge2' in result.breakdown);
    assert.ok(result.score !== null && result.score > 0.5 && result.score < 1);
  });
});

describe('intervals', () => {
  test('Wilson at k = 50, n = 100 is 0.4038–0.5962', () => {
    const { low, high } = wilsonInterval(50, 100);
    assert.ok(Math.abs(low - 0.40383) < 1e-4 && Math.abs(high - 0.59617) < 1e-4);
  });
  test('Wilson never leaves [0, 1]', () => {
    assert.equal(wilsonInterval(0, 10).low, 0);
    assert.equal(wilsonInterval(10, 10).high, 1);
  });
  test('t quantiles against published values', () => {
    for (const [df, t] of [
      [1, 12.7062],
      [5, 2.5706],
      [11, 2.201],
      [30, 2.0423],
      [120, 1.9799],
    ] as const)
      assert.ok(Math.abs(tQuantile975(df) - t) < 2e-4, `df ${df}: ${tQuantile975(df)}`);
  });
});
