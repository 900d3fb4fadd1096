/**
 * A sweep's SLOs are the run's --slo: per-request SLOs give each step's goodput columns, percentile
 * SLOs its pass/fail, and the sweep's exit code says how the whole went. The mock has a capacity of
 * 32 slots × (50 ms + 7 × 10 ms) per answer: at 4 in flight TTFT is ~50 ms, at 64 half the requests
 * wait a whole answer (~120 ms) for a slot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { assertExit, readJson, runCli, withMock, withTemp } from '../cli/cli-process.js';
import type { SweepSummary } from '../../src/sweep/sweep-summary.js';

const MOCK = { ttftMs: 50, itlMs: 10, outputTokens: 8, maxConcurrency: 32 };

function common(url: string, dir: string): string[] {
  return [
    '--endpoints',
    url,
    '--model',
    'm',
    '--duration',
    '1s',
    '--max-output-tokens',
    '8',
    '--workers',
    '1',
    '--report-dir',
    dir,
  ];
}

test('--concurrency 4,64 --slo: goodput and miss rate per step from ttft:, pass/fail from p99(ttft); a failed step exits 99', async () => {
  await withMock(MOCK, (mock) =>
    withTemp(async ({ dir }) => {
      const r = await runCli(
        [
          'benchmark',
          'online',
          ...common(mock.url, dir),
          '--concurrency',
          '4,64',
          '--slo',
          'p99(ttft)<=100ms,ttft:100ms',
        ],
        { timeoutMs: 60_000 },
      );
      assertExit(r, 99);
      const s = await readJson<SweepSummary>(path.join(dir, 'sweep_summary.json'));
      const [c4, c64] = s.steps;
      assert.equal(c4.slo_passed, true, `c4 ttft p99 ${c4.ttft.p99}`);
      assert.equal(c64.slo_passed, false, `c64 ttft p99 ${c64.ttft.p99}`);
      assert.equal(c64.slo_checks[0].slo, 'p99(ttft)<=100ms');
      assert.equal(c64.slo_checks[0].value, c64.ttft.p99);
      assert.ok(c4.slo_miss_rate !== null && c4.slo_miss_rate < 0.05, `c4 miss ${c4.slo_miss_rate}`);
      assert.ok(c64.slo_miss_rate !== null && c64.slo_miss_rate > 0.3, `c64 miss ${c64.slo_miss_rate}`);
      // Goodput is the good requests per second: under the achieved rate by the miss rate.
      assert.ok(c4.goodput !== null && c4.goodput > 0.9 * c4.achieved_rate, `c4 goodput ${c4.goodput}`);
      assert.ok(c64.goodput !== null && c64.goodput < 0.75 * c64.achieved_rate, `c64 goodput ${c64.goodput}`);
      assert.ok(c4.goodput_tokens_per_s !== null && c4.goodput_tokens_per_s > 0);
      // Each step's own summary carries the same verdict (one evaluator).
      const own = await readJson<{ slo: { passed: boolean } }>(
        path.join(c64.report_dir, 'performance', 'result_summary.json'),
      );
      assert.equal(own.slo.passed, false);
      assert.match(r.stdout, /goodput\s+good tok\/s\s+miss %\s+slo/);
      assert.match(r.stdout, /FAIL/);
      // The verdict is the sweep's, not a run error on the console.
      assert.doesNotMatch(r.stderr, /error \[slo_failed\]/);
    }),
  );
});

test('sweep --find-max-goodput: no rate passing exits 99; without a percentile SLO, or with --step-slo, exits 2', async () => {
  await withMock(MOCK, (mock) =>
    withTemp(async ({ dir }) => {
      const none = await runCli(
        [
          'sweep',
          ...common(mock.url, dir),
          '--sweep-max-concurrency',
          '8',
          '--find-max-goodput',
          '--slo',
          'p99(ttft)<=5ms',
        ],
        { timeoutMs: 60_000 },
      );
      assertExit(none, 99);
      const s = await readJson<SweepSummary>(path.join(dir, 'sweep_summary.json'));
      assert.equal(s.max_goodput_rate, null);
      assert.equal(s.steps[0].slo_passed, false);
      assert.match(none.stdout, /max goodput: no rate tried passed its SLOs/);

      const perRequestOnly = await runCli([
        'sweep',
        ...common(mock.url, path.join(dir, 'b')),
        '--find-max-goodput',
        '--slo',
        'ttft:200ms',
      ]);
      assertExit(perRequestOnly, 2);
      assert.match(perRequestOnly.stderr, /--find-max-goodput needs a percentile SLO in --slo/);
      const old = await runCli(['sweep', ...common(mock.url, path.join(dir, 'c')), '--step-slo', 'p99(ttft)<=1s']);
      assertExit(old, 2);
      assert.match(old.stderr, /--step-slo/);
    }),
  );
});
