/** `llm-loadgen serve --answers …`: bad specs exit 2 naming the flag and what to write, before listening. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { answerStyleOf, parseAnswerFileSpec } from '../../src/servers/mock-answer-files.js';
import { describeResult, runCli, withTemp } from '../cli/cli-process.js';

test('serve: bad --answers specs and answer flags are exit 2, naming the flag', { timeout: 120_000 }, async () => {
  await withTemp(async (tmp) => {
    const file = path.join(tmp.dir, 'rows.jsonl');
    await writeFile(file, '{"question":"q?","ground_truth":"B"}\n{"question":"r?"}\n');
    const cases: [string[], RegExp][] = [
      [['--answers', `${file},fraction=1.5`], /--answers .*fraction must be a fraction from 0 to 1, got "1\.5"/],
      [
        ['--answers', `${file},fractoin=0.5`],
        /unknown key "fractoin" \(keys: truth, prompt, style, fraction, malformed, seed\)/,
      ],
      [['--answers', `${file},style=letters`], /style must be one of abcd, math, plain, got "letters"/],
      [['--answers', file, '--answer-fraction', '.'], /--answer-fraction must be a fraction from 0 to 1, got "\."/],
      [['--answers', file, '--answer-seed', '-1'], /--answer-seed must be an integer/],
      // Without --answers too: a bad value is not silently unused (the server would start).
      [['--answer-seed', '-1'], /--answer-seed must be an integer/],
      [['--answer-fraction', '2'], /--answer-fraction must be a fraction/],
      [['--answers', path.join(tmp.dir, 'missing.jsonl')], /missing\.jsonl/],
      // Row 2 has no ground truth: file:line, as for a benchmark's accuracy dataset.
      [['--answers', file], /rows\.jsonl:2: no ground truth in column 'ground_truth'/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['serve', '--port', '0', ...args], { timeoutMs: 30_000 });
      assert.equal(r.code, 2, `${args.join(' ')}: ${describeResult(r)}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stdout, /listening on/);
    }
  });
});

test('answer specs: keys override the flags; the style follows the truths', () => {
  assert.deepEqual(parseAnswerFileSpec('a.csv,truth=answer,seed=9', { fraction: 0.25, seed: 1 }), {
    path: 'a.csv',
    truthColumn: 'answer',
    style: undefined,
    fraction: 0.25,
    seed: 9,
  });
  assert.equal(parseAnswerFileSpec('a.csv,fraction=0.8', { fraction: 0.25, seed: 1, style: 'plain' }).fraction, 0.8);
  assert.equal(answerStyleOf(['choice1', 'C', '(d)']), 'abcd');
  assert.equal(answerStyleOf(['33', '-4', '0.5']), 'math');
  assert.equal(answerStyleOf(['33', 'Paris']), 'plain');
});
