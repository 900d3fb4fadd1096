import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { assertExit, readJson, runCli, withMock, withTemp, cli } from '../cli/cli-process.js';

const args = (url: string, dir: string, slo: string) => cli`
  benchmark online --endpoints ${url} --model m --concurrency 4 --num-samples 20 --max-output-tokens 4 --workers 1
  --slo ${slo} --report-dir ${dir}
`;

test('--slo: goodput in the summary and report; a failed run SLO exits 99 (slo_failed) after the report', async () => {
  await withMock({ ttftMs: 20, itlMs: 2, outputTokens: 4 }, async (mock) => {
    await withTemp(async ({ dir }) => {
      const r = await runCli(args(mock.url, dir, 'ttft:10s,p99(ttft)<=1ms'));
      assertExit(r, 99);
      assert.match(r.stderr, /error \[slo_failed\]: 1 of 1 run SLOs failed: p99\(ttft\)<=1ms \(measured \d+\.\d+ ms\)/);
      const s = await readJson<ResultSummary>(path.join(dir, REPORT_FILES.summary));
      assert.equal(s.goodput!.n_good, 20);
      assert.equal(s.goodput!.fraction, 1);
      assert.equal(s.slo!.passed, false);
      const text = await readFile(path.join(dir, REPORT_FILES.text), 'utf8');
      assert.match(text, /goodput \(ttft:10s\): 20 of 20 requests met every SLO \(100\.0 %\)/);
      assert.match(text, /SLOs: FAILED\n\s+FAIL\s+p99\(ttft\)<=1ms/);
    });
    await withTemp(async ({ dir }) => {
      const r = await runCli(args(mock.url, dir, 'p99(ttft)<=10s'));
      assertExit(r, 0);
      const s = await readJson<ResultSummary>(path.join(dir, REPORT_FILES.summary));
      assert.equal(s.slo!.passed, true);
      assert.equal(s.goodput, null);
    });
  });
});

test('a bad --slo exits 2 naming the flag', async () => {
  const r = await runCli(cli`benchmark online --endpoints http://127.0.0.1:9 --model m --slo p98(ttft)<1s`);
  assertExit(r, 2);
  assert.match(r.stderr, /--slo/);
  assert.match(r.stderr, /not on the percentile grid/);
});
