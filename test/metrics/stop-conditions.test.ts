import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import { errorLimitReason } from '../../src/metrics/stop-conditions.js';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { assertExit, readJson, runCli, withMock, withTemp, cli } from '../cli/cli-process.js';

test('--max-errors stops at N failures; --max-error-rate above F once max(20, 1/F) have finished', () => {
  assert.equal(errorLimitReason({ maxErrors: 10 }, 100, 9), null);
  assert.match(errorLimitReason({ maxErrors: 10 }, 100, 10)!, /10 requests failed, reaching --max-errors 10/);
  // F = 0.05: judged from 20 finished on; 1 of 20 is not above 5 %, 2 of 20 is.
  assert.equal(errorLimitReason({ maxErrorRate: 0.05 }, 0, 5), null); // 5 finished: too few
  assert.equal(errorLimitReason({ maxErrorRate: 0.05 }, 19, 1), null);
  assert.match(
    errorLimitReason({ maxErrorRate: 0.05 }, 18, 2)!,
    /2 of 20 finished requests failed \(10\.0 %\), above --max-error-rate 0\.05/,
  );
  // F = 0.01: judged from 100 finished on.
  assert.equal(errorLimitReason({ maxErrorRate: 0.01 }, 50, 10), null);
  assert.ok(errorLimitReason({ maxErrorRate: 0.01 }, 90, 10) !== null);
  assert.equal(errorLimitReason({}, 0, 1000), null);
});

const base = (url: string, dir: string) =>
  cli`benchmark online --endpoints ${url} --model m --workers 1 --report-dir ${dir}`;

test('--max-errors ends the run early: exit 4 error_limit_reached, the reason in the report', async () => {
  await withMock({ ttftMs: 2, itlMs: 1, outputTokens: 2, fault: 'status-500', faultEvery: 2 }, (mock) =>
    withTemp(async ({ dir }) => {
      const r = await runCli([
        ...base(mock.url, dir),
        '--concurrency',
        '2',
        '--num-samples',
        '5000',
        '--max-errors',
        '10',
      ]);
      assertExit(r, 4);
      assert.match(r.stderr, /error \[error_limit_reached\]: \d+ requests failed, reaching --max-errors 10/);
      const s = await readJson<ResultSummary>(path.join(dir, REPORT_FILES.summary));
      assert.equal(s.state, 'failed');
      assert.ok(s.n_samples_issued < 5000, `issued ${s.n_samples_issued}`);
      assert.ok(s.n_samples_failed >= 10);
      assert.match(s.stop_reason ?? '', /--max-errors 10/);
      assert.ok(s.warnings.some((w) => w.startsWith('stopped early: ')));
    }),
  );
});

test('--max-duration caps the run, drain included: in-flight requests end as cancelled_at_end', async () => {
  // Each request takes ~0.15 s (50 ms TTFT + 5 tokens × 20 ms); --duration 60s would send for 60 s.
  await withMock({ ttftMs: 50, itlMs: 20, outputTokens: 5 }, (mock) =>
    withTemp(async ({ dir }) => {
      const t0 = Date.now();
      const r = await runCli([
        ...base(mock.url, dir),
        '--concurrency',
        '4',
        '--duration',
        '60s',
        '--max-duration',
        '1300ms',
        '--max-output-tokens',
        '5',
      ]);
      assertExit(r, 0);
      const s = await readJson<ResultSummary>(path.join(dir, REPORT_FILES.summary));
      assert.ok(s.duration_ns < 2e9, `duration ${s.duration_ns / 1e9} s`);
      assert.ok(Date.now() - t0 < 40_000, 'the run ended long before --duration');
      assert.ok(s.n_samples_completed > 0);
      assert.ok((s.errors.cancelled_at_end?.count ?? 0) > 0, JSON.stringify(s.errors));
      assert.equal(s.errors.cancelled, undefined);
      assert.match(s.stop_reason ?? '', /reached --max-duration 1\.3 s/);
    }),
  );
});
