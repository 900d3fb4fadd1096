import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repeatStat, studentT975, type RepeatsSummary } from '../../src/metrics/repeat-stats.js';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { assertExit, readJson, runCli, withMock, withTemp, cli } from '../cli/cli-process.js';

test('Student t 97.5 % quantiles: the table, and the expansion past 30 df', () => {
  assert.equal(studentT975(1), 12.706205);
  assert.equal(studentT975(2), 4.302653);
  assert.equal(studentT975(30), 2.042272);
  // scipy.stats.t.ppf(0.975, 40) = 2.021075, (0.975, 100) = 1.983972.
  assert.ok(Math.abs(studentT975(40) - 2.021075) < 1e-4);
  assert.ok(Math.abs(studentT975(100) - 1.983972) < 1e-4);
});

test('mean ± t × s / √n across repeats; fewer than two values give no interval', () => {
  // 1, 2, 3: mean 2, s = 1, half-width 4.302653 / √3.
  const s = repeatStat([1, 2, 3]);
  assert.equal(s.mean, 2);
  assert.equal(s.std_dev, 1);
  assert.ok(Math.abs(s.ci95! - 4.302653 / Math.sqrt(3)) < 1e-12);
  assert.ok(Math.abs(s.ci95_low! - (2 - 4.302653 / Math.sqrt(3))) < 1e-12);
  const one = repeatStat([5, null]);
  assert.equal(one.n, 1);
  assert.equal(one.mean, 5);
  assert.equal(one.ci95, null);
  assert.equal(repeatStat([null]).mean, null);
});

test('--repeats 3: three reports in repeat-<i>/, the combined mean and CI in repeats_summary.json and repeats.txt', async () => {
  await withMock({ ttftMs: 5, itlMs: 1, outputTokens: 3 }, (mock) =>
    withTemp(async ({ dir }) => {
      const r = await runCli(cli`
        benchmark online --endpoints ${mock.url} --model m --concurrency 2 --num-samples 10 --max-output-tokens 3
        --workers 1 --repeats 3 --report-dir ${dir}
      `);
      assertExit(r, 0);
      const summaries: ResultSummary[] = [];
      for (let i = 1; i <= 3; i++) {
        const sub = path.join(dir, `repeat-${i}`);
        assert.ok(existsSync(path.join(sub, REPORT_FILES.text)), sub);
        summaries.push(await readJson<ResultSummary>(path.join(sub, REPORT_FILES.summary)));
      }
      const combined = await readJson<RepeatsSummary>(path.join(dir, REPORT_FILES.repeatsSummary));
      assert.equal(combined.repeats, 3);
      assert.deepEqual(combined.exit_codes, [0, 0, 0]);
      const qps = summaries.map((s) => s.qps);
      assert.deepEqual(combined.figures.qps.values, qps);
      const mean = (qps[0] + qps[1] + qps[2]) / 3;
      const sd = Math.sqrt(qps.reduce((a, x) => a + (x - mean) ** 2, 0) / 2);
      assert.ok(Math.abs(combined.figures.qps.mean! - mean) < 1e-9);
      assert.ok(Math.abs(combined.figures.qps.ci95! - (4.302653 * sd) / Math.sqrt(3)) < 1e-9);
      assert.equal(combined.figures.ttft_p99.n, 3);
      const text = await readFile(path.join(dir, REPORT_FILES.repeatsText), 'utf8');
      assert.match(text, /^llm-loadgen repeats: 3 runs/);
      assert.match(text, /\nqps\s+req\/s\s+\d+\.\d\d\s+\d+\.\d\d/);
      assert.match(r.stdout, /figure\s+unit\s+mean\s+\+\/- 95% CI/);
    }),
  );
});
