/**
 * Issue 11's done-when, with real processes only: `llm-loadgen serve --answers …` answers a GPQA-
 * and an AIME-shaped dataset (made here) right for set fractions; `benchmark --mode both` against
 * it reports those scores exactly and stores every answer in the results database; a second run
 * against a server set to other fractions; `report RUN` re-renders the accuracy section from the
 * database; `compare` shows the accuracy change in points and the noise verdict, numbers checked.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { newcombeInterval } from '../../src/store/accuracy-compare.js';
import {
  describeResult,
  makeTempDir,
  readJson,
  readJsonl,
  runCli,
  spawnCli,
  waitFor,
  type CliResult,
  type TempDir,
  cli,
} from '../cli/cli-process.js';

const GPQA_ROWS = 40;
const AIME_ROWS = 30;

interface AccuracyEntry {
  dataset_name: string;
  score: number;
  total_samples: number;
  n_scored: number;
  failures: number;
  extractor_misses: number;
  per_repeat_scores: number[];
  ci95: { low: number; high: number; method: string };
}

interface Serve {
  url: string;
  stdout: () => string;
  stop: () => Promise<CliResult>;
}

async function serve(args: string[]): Promise<Serve> {
  const { child, finished } = spawnCli(['serve', '--port', '0', ...args], { timeoutMs: 120_000 });
  let stdout = '';
  child.stdout!.on('data', (s: string) => (stdout += s));
  await waitFor(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(stdout), 20_000, 'the URL line');
  return {
    url: /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1],
    stdout: () => stdout,
    stop: async () => {
      child.kill('SIGINT');
      return finished;
    },
  };
}

describe('serve --answers, --mode both, report and compare (processes)', () => {
  let tmp: TempDir;
  let gpqa: string;
  let aime: string;
  let db: string;
  const runIds: string[] = [];

  before(async () => {
    tmp = await makeTempDir('llm-loadgen-acc-cli-');
    gpqa = path.join(tmp.dir, 'gpqa.jsonl');
    aime = path.join(tmp.dir, 'aime.jsonl');
    db = path.join(tmp.dir, 'results.duckdb');
    const gpqaRows = Array.from({ length: GPQA_ROWS }, (_, i) => ({
      question: `Which particle is number ${i}?`,
      choice1: 'electron',
      choice2: 'muon',
      choice3: 'tau',
      choice4: 'photon',
      ground_truth: `choice${(i % 4) + 1}`,
    }));
    const aimeRows = Array.from({ length: AIME_ROWS }, (_, i) => ({ problem: `Compute ${i} times 7.`, answer: i * 7 }));
    await writeFile(gpqa, gpqaRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await writeFile(aime, aimeRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
  after(async () => {
    await tmp.cleanup();
  });

  /** One `--mode both` run against a server answering GPQA right for `g`, AIME for `a`; its run id. */
  async function accuracyRun(g: string, a: string, report: string): Promise<{ id: string; r: CliResult }> {
    const server = await serve([
      '--answers',
      `${gpqa},fraction=${g},seed=3`,
      '--answers',
      `${aime},truth=answer,seed=4`,
      '--answer-fraction',
      a,
    ]);
    try {
      assert.match(
        server.stdout(),
        new RegExp(
          `answering .*gpqa\\.jsonl: ${Math.round(Number(g) * GPQA_ROWS)} of 40 rows right .* as abcd answers`,
        ),
      );
      assert.match(
        server.stdout(),
        new RegExp(
          `answering .*aime\\.jsonl: ${Math.round(Number(a) * AIME_ROWS)} of 30 rows right .* as math answers`,
        ),
      );
      const r = await runCli(
        cli`
          benchmark online --endpoints ${server.url} --model m --concurrency 4 --num-samples 20 --dataset
          ${`acc:${gpqa},eval_method=pass_at_1,ground_truth=ground_truth,extractor=abcd_extractor`} --dataset
          ${`acc:${aime},eval_method=math_equivalence,ground_truth=answer`} --mode both --results-db ${db}
          --report-dir ${report}
        `,
        { timeoutMs: 90_000 },
      );
      assert.equal(r.code, 0, describeResult(r));
      const id = /run ([0-9a-f]{8}) in /.exec(r.stderr)?.[1];
      assert.ok(id !== undefined, describeResult(r));
      return { id, r };
    } finally {
      const stopped = await server.stop();
      assert.equal(stopped.code, 0, describeResult(stopped));
    }
  }

  test(
    '--mode both reports the set fractions; answers and results are in the results database',
    { timeout: 120_000 },
    async () => {
      const report = path.join(tmp.dir, 'run1');
      const { id, r } = await accuracyRun('0.75', '0.4', report);
      runIds.push(id);
      const acc = await readJson<{ accuracy_scores: AccuracyEntry[] }>(
        path.join(report, 'accuracy', 'accuracy_results.json'),
      );
      const [g, a] = acc.accuracy_scores;
      assert.equal(g.score, 0.75);
      assert.equal(g.total_samples, GPQA_ROWS);
      assert.equal(a.score, 0.4);
      assert.equal(a.total_samples, AIME_ROWS);
      // Of AIME's 18 wrong, half (9) are unreadable: no number at all.
      assert.equal(a.extractor_misses, 9);
      assert.match(r.stdout, /gpqa: 75\.0 % {2}95 % CI/);
      assert.match(r.stdout, /aime: 40\.0 %/);

      // The database holds every answer, and the same verdicts as answers.jsonl.
      const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
      const c = await instance.connect();
      try {
        const rows = (
          await c.runAndReadAll(
            `SELECT a.dataset, a.sample, a."repeat", a.answer, a.extracted, a.truth, a.score, a.finish_reason
           FROM accuracy_answers a JOIN runs ON a.run = runs.seq WHERE runs.id = $1 ORDER BY a.dataset DESC, a.sample`,
            [id],
          )
        ).getRowObjectsJS();
        assert.equal(rows.length, GPQA_ROWS + AIME_ROWS);
        const file = await readJsonl(path.join(report, 'accuracy', 'gpqa.answers.jsonl'));
        assert.deepEqual(
          rows
            .filter((x) => x.dataset === 'gpqa')
            .map((x) => [x.sample, x.answer, x.extracted, x.truth, x.score, x.finish_reason]),
          file.map((x) => [x.sample, x.answer, x.extracted, x.ground_truth, x.score, x.finish_reason]),
        );
        assert.equal(rows.filter((x) => x.dataset === 'gpqa' && x.score === 1).length, 30);
        assert.equal(rows.filter((x) => x.dataset === 'aime' && x.score === 1).length, 12);
        const scores = (
          await c.runAndReadAll(
            'SELECT dataset, score, n, n_scored, failures, extractor_misses, truncated, per_repeat_scores, ci_method FROM accuracy_scores WHERE run_id = $1 ORDER BY dataset DESC',
            [id],
          )
        ).getRowObjectsJS();
        assert.deepEqual(
          scores.map((x) => [
            x.dataset,
            x.score,
            Number(x.n),
            Number(x.n_scored),
            Number(x.failures),
            Number(x.extractor_misses),
            Number(x.truncated),
            x.per_repeat_scores,
            x.ci_method,
          ]),
          [
            ['gpqa', 0.75, 40, 40, 0, g.extractor_misses, 0, [0.75], 'wilson'],
            ['aime', 0.4, 30, 30, 0, 9, 0, [0.4], 'wilson'],
          ],
        );
        // The performance figures hold the performance phase's 20 requests only.
        const n = (
          await c.runAndReadAll(
            'SELECT count(*) FROM requests JOIN runs ON requests.run = runs.seq WHERE runs.id = $1',
            [id],
          )
        ).getRows();
        assert.equal(Number(n[0][0]), 20);
      } finally {
        c.closeSync();
        instance.closeSync();
      }

      // report.html has the accuracy section, with the scores.
      const html = await readFile(path.join(report, 'report.html'), 'utf8');
      assert.match(
        html,
        /<section id="accuracy">[\s\S]*<tr data-dataset="gpqa"><td class="text">gpqa<\/td><td class="score">75\.0 %<\/td>/,
      );

      // `report RUN` re-renders the accuracy section and files from the database alone.
      const out = path.join(tmp.dir, 'rerendered');
      const re = await runCli(['report', id, '--results-db', db, '--output', out]);
      assert.equal(re.code, 0, describeResult(re));
      assert.match(re.stdout, /Accuracy \(every issued answer counts[\s\S]*gpqa: 75\.0 %[\s\S]*aime: 40\.0 %/);
      const liveText = await readFile(path.join(report, 'report.txt'), 'utf8');
      const accuracyPart = (t: string) => t.slice(t.indexOf('\nAccuracy ('));
      assert.equal(accuracyPart(await readFile(path.join(out, 'report.txt'), 'utf8')), accuracyPart(liveText));
      assert.equal(
        await readFile(path.join(out, 'accuracy', 'accuracy_results.json'), 'utf8'),
        await readFile(path.join(report, 'accuracy', 'accuracy_results.json'), 'utf8'),
      );
      assert.equal(
        await readFile(path.join(out, 'accuracy', 'aime.answers.jsonl'), 'utf8'),
        await readFile(path.join(report, 'accuracy', 'aime.answers.jsonl'), 'utf8'),
      );
    },
  );

  test('a second run at other fractions; compare shows the accuracy change', { timeout: 120_000 }, async () => {
    assert.equal(runIds.length, 1, 'the first test stored its run');
    const { id } = await accuracyRun('0.5', '0.8', path.join(tmp.dir, 'run2'));
    runIds.push(id);
    const text = await runCli(['compare', ...runIds, '--results-db', db]);
    assert.equal(text.code, 0, describeResult(text));
    assert.match(text.stdout, /\nE2E p50 \(ms\)/, 'latency figures are there too');
    assert.match(text.stdout, /\ngpqa +75\.0 % +50\.0 % +-25\.0 pts\n/);
    assert.match(text.stdout, /\naime +40\.0 % +80\.0 % +\+40\.0 pts\n/);
    // GPQA 30/40 → 20/40 and AIME 12/30 → 24/30: Newcombe's interval of each difference.
    const g = newcombeInterval(20, 40, 30, 40);
    const a = newcombeInterval(24, 30, 12, 30);
    const pts = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
    const verdict = (ci: { low: number; high: number }) =>
      ci.low > 0 || ci.high < 0 ? 'different beyond noise' : 'within noise';
    assert.ok(
      text.stdout.includes(
        `gpqa [1] vs [0]: -25.0 pts, 95 % CI ${pts(g.low)} to ${pts(g.high)} pts (Newcombe, n 40 vs 40): ${verdict(g)}`,
      ),
      text.stdout,
    );
    assert.ok(
      text.stdout.includes(
        `aime [1] vs [0]: +40.0 pts, 95 % CI ${pts(a.low)} to ${pts(a.high)} pts (Newcombe, n 30 vs 30): ${verdict(a)}`,
      ),
      text.stdout,
    );
    // 40 points on 30 rows is beyond noise; 25 points on 40 rows is too.
    assert.equal(verdict(a), 'different beyond noise');
    assert.equal(verdict(g), 'different beyond noise');

    // --html: the compare page, with the accuracy table (its rendering in a browser: test/report/html-browser.test.ts).
    const page = path.join(tmp.dir, 'compare.html');
    const html = await runCli(['compare', ...runIds, '--results-db', db, '--html', page]);
    assert.equal(html.code, 0, describeResult(html));
    const text2 = await readFile(page, 'utf8');
    assert.match(
      text2,
      /<tr data-dataset="gpqa"><td class="text">gpqa<\/td><td>75\.0 %<\/td><td>50\.0 %<\/td><td class="changed">-25\.0 pts, beyond noise<\/td>/,
    );
    assert.match(text2, /id="plot-compare-cdf-latency"/);

    const json = await runCli(['compare', ...runIds, '--results-db', db, '--json']);
    assert.equal(json.code, 0, describeResult(json));
    const data = JSON.parse(json.stdout) as {
      accuracy: {
        dataset: string;
        scores: number[];
        changePoints: (number | null)[];
        differences: { difference: number; low: number; high: number; method: string; significant: boolean }[];
      }[];
    };
    assert.deepEqual(
      data.accuracy.map((x) => [
        x.dataset,
        x.scores,
        x.changePoints,
        x.differences.map((d) => [d.method, d.low, d.high, d.significant]),
      ]),
      [
        ['gpqa', [0.75, 0.5], [null, -25], [['newcombe', g.low, g.high, true]]],
        ['aime', [0.4, 0.8], [null, 40], [['newcombe', a.low, a.high, true]]],
      ],
    );
  });
});
