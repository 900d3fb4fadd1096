/**
 * Accuracy runs end to end through the CLI: GPQA- and AIME-shaped datasets made here, the mock in
 * answer mode set to known fractions, `--mode both`. The scores must equal the fractions, and the
 * performance figures must hold only the performance phase's requests.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { MockAnswerKey } from '../../src/servers/mock-answers.js';
import { startMockServer, type RunningMockServer } from '../../src/servers/mock-openai-server.js';
import { describeResult, makeTempDir, readJson, readJsonl, runCli, type TempDir, cli } from '../cli/cli-process.js';

const GPQA_TEMPLATE = '{question}\n\n(A) {choice1}\n(B) {choice2}\n(C) {choice3}\n(D) {choice4}';
const GPQA_ROWS = 40;
const AIME_ROWS = 30;

interface AccuracyFile {
  average_accuracy: number;
  accuracy_scores: {
    dataset_name: string;
    score: number;
    total_samples: number;
    n_scored: number;
    num_repeats: number;
    extractor_misses: number;
    per_repeat_scores: number[];
  }[];
}

describe('--mode both on GPQA- and AIME-shaped datasets', () => {
  let tmp: TempDir;
  let server: RunningMockServer;
  let gpqa: string;
  let aime: string;
  before(async () => {
    tmp = await makeTempDir('llm-loadgen-acc-');
    const gpqaRows = Array.from({ length: GPQA_ROWS }, (_, i) => ({
      question: `Which particle is number ${i}?`,
      choice1: 'electron',
      choice2: 'muon',
      choice3: 'tau',
      choice4: 'photon',
      ground_truth: `choice${(i % 4) + 1}`,
      domain: 'Physics',
    }));
    const aimeRows = Array.from({ length: AIME_ROWS }, (_, i) => ({
      question: `Compute ${i} times 3.`,
      answer: i * 3,
    }));
    gpqa = path.join(tmp.dir, 'gpqa.jsonl');
    aime = path.join(tmp.dir, 'aime.jsonl');
    await writeFile(gpqa, gpqaRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await writeFile(aime, aimeRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    // One mock answers both: GPQA right for 75 %, AIME for 40 % (the key finds each prompt's row).
    const gpqaKey = new MockAnswerKey({
      rows: gpqaRows.map((r) => ({ prompt: r.question, truth: r.ground_truth })),
      rightFraction: 0.75,
      seed: 3,
      style: 'abcd',
    });
    const aimeKey = new MockAnswerKey({
      rows: aimeRows.map((r) => ({ prompt: r.question, truth: String(r.answer) })),
      rightFraction: 0.4,
      seed: 4,
      style: 'math',
    });
    const answers = {
      answerFor: (prompt: string) => gpqaKey.answerFor(prompt) ?? aimeKey.answerFor(prompt),
    } as MockAnswerKey;
    server = await startMockServer({ answers });
  });
  after(async () => {
    await server.close();
    await tmp.cleanup();
  });

  test('scores equal the mock’s fractions; repeats; perf figures hold only perf requests', async () => {
    const config = path.join(tmp.dir, 'run.yaml');
    await writeFile(
      config,
      [
        'name: acc-test',
        'type: online',
        'model_params: {name: m, streaming: "on"}',
        'datasets:',
        '  - name: gpqa',
        '    type: accuracy',
        `    path: ${gpqa}`,
        `    prompt_template: ${JSON.stringify(GPQA_TEMPLATE)}`,
        '    accuracy_config: {eval_method: pass_at_1, ground_truth: ground_truth, extractor: abcd_extractor, num_repeats: 2}',
        '  - name: aime',
        '    type: accuracy',
        `    path: ${aime}`,
        '    accuracy_config: {eval_method: math_equivalence, ground_truth: answer}',
        'settings:',
        '  runtime: {n_samples_to_issue: 50}',
        '  load_pattern: {type: concurrency, target_concurrency: 4}',
        'endpoint_config:',
        `  endpoints: ["${server.url}"]`,
        `report_dir: ${path.join(tmp.dir, 'report')}`,
      ].join('\n') + '\n',
    );
    const r = await runCli(['benchmark', 'from-config', '-c', config], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeResult(r));
    const report = path.join(tmp.dir, 'report');
    const acc = await readJson<AccuracyFile>(path.join(report, 'accuracy', 'accuracy_results.json'));
    const [g, a] = acc.accuracy_scores;
    assert.equal(g.dataset_name, 'gpqa');
    assert.equal(g.total_samples, GPQA_ROWS * 2);
    assert.equal(g.n_scored, GPQA_ROWS * 2);
    assert.equal(g.score, 0.75);
    assert.deepEqual(g.per_repeat_scores, [0.75, 0.75]);
    assert.equal(a.dataset_name, 'aime');
    assert.equal(a.score, 0.4);
    // Of the 60 % wrong, half are malformed (no number at all): the extractor cannot read them.
    assert.equal(a.extractor_misses, 9);
    assert.ok(Math.abs(acc.average_accuracy - (0.75 + 0.4) / 2) < 1e-12);
    const answers = await readJsonl(path.join(report, 'accuracy', 'gpqa.answers.jsonl'));
    assert.equal(answers.length, GPQA_ROWS * 2);
    assert.match(String(answers[0].answer), /Answer: [ABCD]/);
    // The performance phase: its 50 requests only.
    const summary = await readJson<{ n_samples_issued: number }>(path.join(report, REPORT_FILES.summary));
    assert.equal(summary.n_samples_issued, 50);
    assert.match(r.stdout, /Accuracy .*\n {2}gpqa: 75\.0 %/);
  });

  test('--accuracy-only runs no performance phase; bad names are exit 2 before any request', async () => {
    const report = path.join(tmp.dir, 'acc-only');
    const ok = await runCli(
      cli`
        benchmark online --endpoints ${server.url} --model m --concurrency 2 --dataset
        ${`acc:${aime},eval_method=pass_at_1,ground_truth=answer,extractor=boxed_math_extractor`} --accuracy-only
        --report-dir ${report}
      `,
      { timeoutMs: 60_000 },
    );
    assert.equal(ok.code, 0, describeResult(ok));
    const acc = await readJson<AccuracyFile>(path.join(report, 'accuracy', 'accuracy_results.json'));
    assert.equal(acc.accuracy_scores[0].score, 0.4);
    await assert.rejects(readJson(path.join(report, REPORT_FILES.summary)), { code: 'ENOENT' });
    const bad = await runCli(
      cli`
        benchmark online --endpoints ${server.url} --model m --concurrency 2 --dataset
        ${`acc:${aime},eval_method=pass_at_l,ground_truth=answer`} --report-dir ${path.join(tmp.dir, 'bad')}
      `,
      { timeoutMs: 30_000 },
    );
    assert.equal(bad.code, 2, describeResult(bad));
    assert.match(bad.stderr, /accuracy_config_invalid|did you mean pass_at_1/);
    const noTruth = await runCli(
      cli`
        benchmark online --endpoints ${server.url} --model m --concurrency 2 --dataset
        ${`acc:${aime},ground_truth=solution`} --report-dir ${path.join(tmp.dir, 'bad2')}
      `,
      { timeoutMs: 30_000 },
    );
    assert.equal(noTruth.code, 2, describeResult(noTruth));
    assert.match(noTruth.stderr, /aime\.jsonl:1: no ground truth in column 'solution'/);
  });
});
