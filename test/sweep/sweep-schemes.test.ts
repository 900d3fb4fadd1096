import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guidellmScheme, maxGoodputScheme, spacedRates, valuesScheme } from '../../src/sweep/sweep-schemes.js';
import { formatSweepTable, type SweepStepRow } from '../../src/sweep/sweep-summary.js';
import { sweepExitCode } from '../../src/sweep/run-sweep.js';

function row(
  step: number,
  kind: SweepStepRow['kind'],
  target: number,
  rate: number,
  passed: boolean | null,
): SweepStepRow {
  const p = { p50: 1e6, p90: 2e6, p99: 3e6 };
  return {
    step,
    kind,
    target,
    report_dir: `d/${step}`,
    exit_code: 0,
    n_samples_issued: 10,
    n_samples_completed: 10,
    achieved_rate: rate,
    output_tokens_per_s: rate * 16,
    ttft: p,
    tpot: p,
    itl: p,
    e2e: p,
    error_rate: 0,
    goodput: null,
    goodput_tokens_per_s: null,
    slo_miss_rate: null,
    slo_passed: passed,
    slo_checks: [],
  };
}

test("guidellm's rates: np.linspace(sync, throughput, N + 1)[1:], after a synchronous and a throughput step", () => {
  assert.deepEqual(spacedRates(10, 50, 4), [20, 30, 40, 50]);
  const s = guidellmScheme(4, 512, 'constant');
  const done: SweepStepRow[] = [];
  const plans = [];
  for (let p = s.next(done); p !== null; p = s.next(done)) {
    plans.push(p);
    const rate = p.kind === 'synchronous' ? 10 : p.kind === 'throughput' ? 50 : p.target;
    done.push(row(done.length + 1, p.kind, p.target, rate, null));
  }
  assert.deepEqual(
    plans.map((p) => [p.kind, p.target]),
    [
      ['synchronous', 1],
      ['throughput', 512],
      ['rate', 20],
      ['rate', 30],
      ['rate', 40],
      ['rate', 50],
    ],
  );
  assert.deepEqual(plans[1].overrides, {
    loadPattern: 'concurrency',
    concurrency: 512,
    targetQps: undefined,
    burstiness: undefined,
  });
  assert.deepEqual(plans[2].overrides, { loadPattern: 'constant', targetQps: 20, concurrency: undefined });
  assert.equal(s.exempt?.(done[1]), true, 'the throughput step does not stop the sweep');
});

test('values: one step per value, in order', () => {
  const s = valuesScheme('concurrency', [1, 4, 16], 'poisson');
  const done: SweepStepRow[] = [];
  const targets = [];
  for (let p = s.next(done); p !== null; p = s.next(done)) {
    targets.push(p.target);
    done.push(row(done.length + 1, p.kind, p.target, p.target, null));
  }
  assert.deepEqual(targets, [1, 4, 16]);
});

test('max goodput: bisection converges on the highest passing rate and reports every step', () => {
  const capacity = 150;
  const s = maxGoodputScheme({
    maxConcurrency: 256,
    pattern: 'constant',
    tolerance: 0.04,
    maxRateSteps: 8,
    maxErrorRate: 0,
  });
  const done: SweepStepRow[] = [];
  for (let p = s.next(done); p !== null; p = s.next(done)) {
    const rate = p.kind === 'synchronous' ? 5 : p.kind === 'throughput' ? 160 : p.target;
    done.push(row(done.length + 1, p.kind, p.target, rate, p.kind === 'throughput' ? false : p.target <= capacity));
  }
  const best = s.result!(done);
  assert.ok(best !== null && best <= capacity && best >= capacity * 0.96, `best ${best}`);
  assert.equal(done[2].target, 160, 'the throughput rate is tried first');
  assert.ok(done.length <= 2 + 8);
  const table = formatSweepTable({ scheme: 'max-goodput', steps: done, stopped_early: null, max_goodput_rate: best });
  assert.equal(table.split('\n').filter((l) => /^\s+\d+\s/.test(l)).length, done.length, 'a table row per step');
  assert.match(table, /max goodput: 14\d\.\d\d req\/s/);
});

test('max goodput: a synchronous step that fails its SLOs ends the search with no rate', () => {
  const s = maxGoodputScheme({
    maxConcurrency: 8,
    pattern: 'poisson',
    tolerance: 0.04,
    maxRateSteps: 8,
    maxErrorRate: 0,
  });
  const done = [row(1, 'synchronous', 1, 5, false), row(2, 'throughput', 8, 40, false)];
  assert.equal(s.next(done), null);
  assert.equal(s.result!(done), null);
});

test('the sweep exit code: interrupted, then a failed step, then the SLO verdict', () => {
  const summary = (scheme: 'values' | 'max-goodput', passed: (boolean | null)[], best: number | null) => ({
    scheme,
    steps: passed.map((p, i) => row(i + 1, 'rate', 10 * (i + 1), 10 * (i + 1), p)),
    stopped_early: null,
    max_goodput_rate: best,
  });
  assert.equal(sweepExitCode(summary('values', [true, true], null), false, 0), 0);
  assert.equal(sweepExitCode(summary('values', [null, null], null), false, 0), 0);
  // Any step that failed a percentile SLO: 99, as a run that fails one.
  assert.equal(sweepExitCode(summary('values', [true, false], null), false, 0), 99);
  // --find-max-goodput: failing steps are the search; 99 only when no rate passed.
  assert.equal(sweepExitCode(summary('max-goodput', [true, true, false, true], 30), false, 0), 0);
  assert.equal(sweepExitCode(summary('max-goodput', [false, null], null), false, 0), 99);
  // A step that failed as a run (4: every request failed) outranks the SLOs; Ctrl-C outranks both.
  assert.equal(sweepExitCode(summary('values', [false], null), false, 4), 4);
  assert.equal(sweepExitCode(summary('values', [false], null), true, 4), 130);
});
