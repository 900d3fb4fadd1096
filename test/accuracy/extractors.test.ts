/**
 * Extractors: a contract every extractor must keep (a shared case table run against each, as
 * hono runs one table against every router), then each extractor's own cases.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extractAbcd, abcdExtractor } from '../../src/accuracy/abcd-extractor.js';
import { extractBoxedMath } from '../../src/accuracy/boxed-math-extractor.js';
import { EXTRACTORS, extractorByName } from '../../src/accuracy/extractors.js';
import { extractMathAnswer } from '../../src/accuracy/math-extractor.js';

/** Inputs no extractor may throw on, hang on, or answer with anything but a string or null. */
const HOSTILE = [
  '',
  ' ',
  '\n\n\n',
  '}}}{{{',
  '\\boxed{',
  '\\boxed{}',
  '**',
  '(((((((((((',
  'Answer:'.repeat(2000),
  '*'.repeat(50_000) + 'A',
  '_'.repeat(50_000) + 'x',
  '\\boxed{' + 'a'.repeat(50_000),
  '(' + ' '.repeat(50_000) + 'A',
  '\u0000\uFFFF\uD800',
  '🙂'.repeat(1000),
];

describe('every extractor keeps the contract', () => {
  for (const extractor of [...EXTRACTORS, extractorByName('regex:answer is (\\w+)')]) {
    test(`${extractor.id}: hostile inputs give a string or null, in bounded time`, () => {
      for (const input of HOSTILE) {
        const out = extractor.extract(input);
        assert.ok(out === null || typeof out === 'string', `${JSON.stringify(input.slice(0, 20))} → ${String(out)}`);
      }
    });
    test(`${extractor.id}: is found by its name`, () => {
      assert.equal(extractorByName(extractor.id).id, extractor.id);
    });
  }
});

describe('abcd_extractor, in the reference priority order', () => {
  // Expected values checked against MLPerf Endpoints' ABCDExtractor run on the same strings
  // (its '' is our null; its choiceN our letter).
  const cases: [string, string | null][] = [
    // The reference's own docstring says 'choice2' here, but none of its patterns matches "is B".
    ['The answer is B', null],
    ['a is fine', 'A'],
    ['Answer:\n\nB', 'B'],
    ['**Answer:** C', 'C'],
    ['\\boxed{D}', 'D'],
    ['Answer: (C)', 'C'],
    ['Answers – D', 'D'],
    ['answer: a', 'A'],
    ['I pick Option B.', 'B'],
    ['Choice: C', 'C'],
    ['the best is (A) here', 'A'],
    ['it is [B]', 'B'],
    ['clearly **C** wins', 'C'],
    ['\\textbf{D}', 'D'],
    ['**D) the last one**', 'D'],
    ['Thinking...\nB. because', 'B'],
    // "Answer: C" outranks an earlier bare "(A)"
    ['Compare (A) with the rest.\nAnswer: C', 'C'],
    // A markdown-wrapped "Answer" outranks everything after it
    ['**Answer:** B\n\\boxed{D}', 'B'],
    // "a" inside a word is no answer; nothing else is
    ['no letter here', null],
    ['', null],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.equal(extractAbcd(text), expected));
  }
  test('ground truths read alike: choice3, C, c, (C)', () => {
    for (const t of ['choice3', 'C', 'c', '(C)', ' C. ']) assert.equal(abcdExtractor.normalizeTruth?.(t), 'C', t);
    assert.equal(abcdExtractor.normalizeTruth?.('choice1'), 'A');
  });
});

describe('boxed_math_extractor, as the reference (first closing brace ends the box)', () => {
  const cases: [string, string | null][] = [
    ['so \\boxed{42}', '42'],
    ['\\boxed{1} then \\boxed{7}', '7'],
    ['\\boxed{x=3, 5}', '5'],
    ['\\framebox{12}', '12'],
    ['\\boxed{} and 17 and 18', '18'],
    ['\\boxed{\\frac{1}{2}}', '\\frac{1'],
    ['no number', null],
    ['the answer is 033', '033'],
  ];
  for (const [text, expected] of cases)
    test(JSON.stringify(text), () => assert.equal(extractBoxedMath(text), expected));
});

describe('math_extractor keeps nested braces', () => {
  const cases: [string, string | null][] = [
    ['\\boxed{\\frac{1}{2}}', '\\frac{1}{2}'],
    ['\\boxed{1} and later \\fbox{ 3 }', '3'],
    ['x is 2/3.', '2/3'],
    ['-1.5 then 7', '7'],
    ['\\boxed{never closed and 9', '9'],
    ['nothing', null],
  ];
  for (const [text, expected] of cases)
    test(JSON.stringify(text), () => assert.equal(extractMathAnswer(text), expected));
});

describe('regex extractor', () => {
  test('the first group of the last match', () => {
    const e = extractorByName('regex:answer is (\\w+)');
    assert.equal(e.extract('answer is x ... answer is yes'), 'yes');
    assert.equal(e.extract('no'), null);
  });
  test('the whole match without a group', () => {
    assert.equal(extractorByName('regex:\\d+').extract('1 22 333'), '333');
  });
  test('a bad pattern names itself', () => {
    assert.throws(() => extractorByName('regex:(unclosed'), /regex:\(unclosed/);
  });
  test('an unknown name suggests the closest', () => {
    assert.throws(() => extractorByName('abcd_extracter'), /did you mean abcd_extractor/);
  });
});
