/**
 * Sweeps against the mock with a capacity: 32 batch slots × (50 ms + 15 × 10 ms) per answer =
 * 160 req/s. The knee must show in the table, and --find-max-goodput must land within 10 % of it.
 * Steps are 2 s each, one shard; the whole file takes about 1.5 min on a loaded 2-core host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { assertExit, readJson, runCli, withMock, withTemp, cli } from '../cli/cli-process.js';
import type { SweepSummary } from '../../src/sweep/sweep-summary.js';

const MOCK = { ttftMs: 50, itlMs: 10, outputTokens: 16, maxConcurrency: 32 };
const CAPACITY = 32 / ((50 + 15 * 10) / 1000);

function common(url: string, dir: string): string[] {
  return [
    '--endpoints',
    url,
    '--model',
    'm',
    '--duration',
    '2s',
    '--max-output-tokens',
    '16',
    '--workers',
    '1',
    '--report-dir',
    dir,
  ];
}

test(
  '--concurrency 8,64,256: throughput flattens at the capacity and TTFT rises past it',
  { timeout: 120_000 },
  async () => {
    await withMock(MOCK, (mock) =>
      withTemp(async ({ dir }) => {
        const r = await runCli(['benchmark', 'online', ...common(mock.url, dir), '--concurrency', '8,64,256'], {
          timeoutMs: 110_000,
        });
        assertExit(r, 0);
        const s = await readJson<SweepSummary>(path.join(dir, 'sweep_summary.json'));
        assert.equal(s.scheme, 'values');
        assert.deepEqual(
          s.steps.map((x) => x.target),
          [8, 64, 256],
        );
        const [c8, c64, c256] = s.steps;
        // Below the knee the rate scales with concurrency (8 / 0.2 s = 40 req/s) ...
        assert.ok(c8.achieved_rate < 0.35 * CAPACITY, `c8 ${c8.achieved_rate}`);
        // ... past it (64 and 256 on 32 slots: a queue always waits) the rate is flat at the capacity ...
        assert.ok(
          c64.achieved_rate > 0.8 * CAPACITY && c64.achieved_rate < 1.05 * CAPACITY,
          `c64 ${c64.achieved_rate}`,
        );
        assert.ok(
          Math.abs(c256.achieved_rate - c64.achieved_rate) < 0.15 * c64.achieved_rate,
          `c256 ${c256.achieved_rate}`,
        );
        // ... and latency rises: 8 in flight wait for nothing; 64 for one generation ahead; 256 for several.
        assert.ok(c8.ttft.p50! < 100e6, `c8 ttft p50 ${c8.ttft.p50}`);
        assert.ok(c64.ttft.p50! > 150e6, `c64 ttft p50 ${c64.ttft.p50}`);
        assert.ok(c256.ttft.p50! > 2 * c64.ttft.p50!, `c256 ttft p50 ${c256.ttft.p50}`);
        for (const step of s.steps) {
          assert.equal(step.error_rate, 0);
          assert.ok(step.report_dir.startsWith(dir));
        }
        // The table on the console has every step.
        assert.match(r.stdout, /sweep \(values\): 3 steps/);
        assert.match(r.stdout, /^\s+3\s+c256\s/m);
      }),
    );
  },
);

test(
  'sweep --find-max-goodput: the highest rate passing p99(ttft)<=200ms is within 10 % of the capacity',
  { timeout: 150_000 },
  async () => {
    await withMock(MOCK, (mock) =>
      withTemp(async ({ dir }) => {
        const r = await runCli(
          [
            'sweep',
            ...common(mock.url, dir),
            '--sweep-max-concurrency',
            '128',
            '--find-max-goodput',
            '--slo',
            'p99(ttft)<=200ms,ttft:200ms',
          ],
          { timeoutMs: 140_000 },
        );
        assertExit(r, 0);
        const s = await readJson<SweepSummary>(path.join(dir, 'sweep_summary.json'));
        assert.equal(s.scheme, 'max-goodput');
        assert.deepEqual(
          s.steps.slice(0, 2).map((x) => x.kind),
          ['synchronous', 'throughput'],
        );
        // The throughput step measures the capacity itself.
        assert.ok(
          Math.abs(s.steps[1].achieved_rate - CAPACITY) / CAPACITY < 0.1,
          `throughput ${s.steps[1].achieved_rate}`,
        );
        assert.ok(s.max_goodput_rate !== null);
        const off = Math.abs(s.max_goodput_rate - CAPACITY) / CAPACITY;
        assert.ok(
          off < 0.1,
          `max goodput ${s.max_goodput_rate} req/s vs ${CAPACITY.toFixed(1)}: ${(100 * off).toFixed(1)} % off`,
        );
        // Every step tried is reported, each with its verdict and goodput from the run's --slo.
        for (const step of s.steps.slice(2)) {
          assert.notEqual(step.slo_passed, null);
          assert.notEqual(step.goodput, null);
          assert.equal(step.slo_checks[0].slo, 'p99(ttft)<=200ms');
        }
        // Failed steps are the search, not errors.
        assert.doesNotMatch(r.stderr, /slo_failed/);
        assert.match(r.stdout, /max goodput: \d+\.\d\d req\/s/);
      }),
    );
  },
);

test('a sweep stops after a step whose error rate passes --sweep-max-error-rate, keeping its row and the reason', async () => {
  await withMock({ ttftMs: 1, itlMs: 0, fault: 'status-500', faultEvery: 2 }, (mock) =>
    withTemp(async ({ dir }) => {
      const r = await runCli(cli`
        benchmark online --endpoints ${mock.url} --model m --num-samples 20 --max-output-tokens 2 --workers 1
        --report-dir ${dir} --concurrency 2,4,8 --sweep-max-error-rate 0.2
      `);
      assertExit(r, 0);
      const s = await readJson<SweepSummary>(path.join(dir, 'sweep_summary.json'));
      assert.equal(s.steps.length, 1, 'stopped after the first step');
      assert.ok(Math.abs(s.steps[0].error_rate - 0.5) < 0.01, `error rate ${s.steps[0].error_rate}`);
      assert.match(s.stopped_early ?? '', /step 1: error rate 50\.0 % is above --sweep-max-error-rate 0\.2/);
      assert.match(r.stdout, /stopped early: step 1/);
    }),
  );
});
