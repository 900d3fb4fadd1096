/**
 * compare's accuracy statistics against published and independently computed values: Newcombe's
 * hybrid score interval (his 1998 paper's worked example) and Welch's t interval (scipy 1.17's
 * ttest_ind(equal_var=False).confidence_interval()), and which of them a comparison picks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scoreAnswers } from '../../src/accuracy/accuracy-result.js';
import { extractorByName } from '../../src/accuracy/extractors.js';
import { scorerByName } from '../../src/accuracy/scorers.js';
import {
  compareAccuracy,
  formatAccuracyCompare,
  newcombeInterval,
  welchInterval,
  type ScoreMoments,
} from '../../src/store/accuracy-compare.js';

const near = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);

function moments(xs: number[]): ScoreMoments {
  return { sum: xs.reduce((a, b) => a + b, 0), sumSquares: xs.reduce((a, b) => a + b * b, 0), n: xs.length };
}

test("Newcombe's method 10 on his example: 56/70 − 48/80 = 0.2, 95 % CI 0.0524 to 0.3339", () => {
  const ci = newcombeInterval(56, 70, 48, 80);
  near(ci.low, 0.0524, 5e-5, 'low');
  near(ci.high, 0.3339, 5e-5, 'high');
  // At the edges, where Wald's interval collapses to a point: 10/10 − 0/10 is not certain.
  const edge = newcombeInterval(10, 10, 0, 10);
  assert.ok(edge.low > 0.5 && edge.low < 1 && edge.high === 1, JSON.stringify(edge));
});

test("Welch's interval equals scipy's, fractional degrees of freedom included", () => {
  // scipy: df 7.196, CI (-0.5324918, -0.0008415).
  const small = welchInterval(moments([0.2, 0.5, 0.9, 0.4, 0.6, 0.3]), moments([0.7, 0.8, 0.6, 0.9, 0.75]));
  near(small.low, -0.5324918, 2e-4, 'low (df 7.2)');
  near(small.high, -0.0008415, 2e-4, 'high (df 7.2)');
  // scipy: df 40.3, CI (0.1928026, 0.9071974).
  const a = Array.from({ length: 30 }, (_, i) => 0.1 * i);
  const b = Array.from({ length: 25 }, (_, i) => 0.05 * i + 0.3);
  const big = welchInterval(moments(a), moments(b));
  near(big.low, 0.1928026, 1e-5, 'low (df 40)');
  near(big.high, 0.9071974, 1e-5, 'high (df 40)');
});

test('compare: Newcombe for right/wrong scores, Welch over stored per-answer scores for ROUGE', async () => {
  const exact = (right: number, n: number) =>
    scoreAnswers(
      {
        datasetName: 'mc',
        groundTruthColumn: 'ground_truth',
        scorer: scorerByName('pass_at_1'),
        extractor: extractorByName('identity_extractor'),
        truths: Array.from({ length: n }, () => 'A'),
        repeats: 1,
        durationS: 1,
      },
      Array.from({ length: n }, (_, i) => ({
        sample: i,
        repeat: 0,
        text: i < right ? 'A' : 'B',
        finishReason: 'stop',
      })),
    ).result;
  const rouge = (texts: string[]) =>
    scoreAnswers(
      {
        datasetName: 'sum',
        groundTruthColumn: 'ref',
        scorer: scorerByName('rouge'),
        extractor: extractorByName('identity_extractor'),
        truths: texts.map(() => 'the cat sat on the mat'),
        repeats: 1,
        durationS: 1,
      },
      texts.map((text, i) => ({ sample: i, repeat: 0, text, finishReason: 'stop' })),
    );
  const r0 = rouge(['the cat sat', 'a dog ran', 'the cat sat on the mat', 'mat', 'cat on mat']);
  const r1 = rouge(['the cat sat on a mat', 'the cat sat on the mat', 'the cat sat on the mat', 'cat sat', 'the mat']);
  assert.equal(r0.result.ci95?.method, 't');
  const perAnswer = [r0.verdicts.map((v) => v.score), r1.verdicts.map((v) => v.score)];
  const asked: string[] = [];
  const rows = await compareAccuracy(
    [
      { results: [exact(30, 40), r0.result], accuracyOnly: false },
      { results: [exact(20, 40), r1.result], accuracyOnly: false },
    ],
    async (run, dataset) => {
      asked.push(`${run}:${dataset}`);
      return moments(perAnswer[run]);
    },
  );
  assert.deepEqual(asked.sort(), ['0:sum', '1:sum'], 'moments are read for graded scores only');
  const [mc, sum] = rows;
  assert.deepEqual(mc.changePoints, [null, -25]);
  const n = newcombeInterval(20, 40, 30, 40);
  assert.deepEqual(mc.differences, [
    { run: 1, method: 'newcombe', difference: -0.25, low: n.low, high: n.high, significant: n.high < 0 },
  ]);
  const w = welchInterval(moments(perAnswer[1]), moments(perAnswer[0]));
  assert.equal(sum.differences[0].method, 'welch');
  assert.equal(sum.differences[0].low, w.low);
  assert.equal(sum.differences[0].high, w.high);
  near(sum.differences[0].difference, r1.result.score! - r0.result.score!, 1e-15, 'difference');
  const text = formatAccuracyCompare(rows, ['aaaa', 'bbbb']);
  assert.match(text, /\nmc +75\.0 % +50\.0 % +-25\.0 pts\n/);
  assert.match(text, /mc \[1\] vs \[0\]: -25\.0 pts, 95 % CI .* \(Newcombe, n 40 vs 40\)/);
  assert.match(text, /sum \[1\] vs \[0\]: \+\d+\.\d pts, 95 % CI .* \(Welch, n 5 vs 5\): within noise/);
});

test('compare: a dataset only one run has is shown without a difference', async () => {
  const rows = await compareAccuracy(
    [
      { results: [], accuracyOnly: false },
      {
        results: [
          scoreAnswers(
            {
              datasetName: 'late',
              groundTruthColumn: 'g',
              scorer: scorerByName('pass_at_1'),
              extractor: extractorByName('identity_extractor'),
              truths: ['x'],
              repeats: 1,
              durationS: 0,
            },
            [{ sample: 0, repeat: 0, text: 'x', finishReason: 'stop' }],
          ).result,
        ],
        accuracyOnly: false,
      },
    ],
    () => Promise.reject(new Error('not asked')),
  );
  assert.deepEqual(rows[0].scores, [null, 1]);
  assert.deepEqual(rows[0].differences, []);
  assert.match(formatAccuracyCompare(rows, ['a', 'b']), /late: only one run has a score/);
});
