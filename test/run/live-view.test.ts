/**
 * The live view: the last-10-s window (rates, errors, TTFT percentiles from the shards' bucket
 * counts) on a made-up clock, and the real CLI's three outputs — `--json` events, the plain line
 * when stderr is not a terminal, and `--quiet`.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { ShardProgress } from '../../src/shard/shard-plan.js';
import { bucketPercentileMs, LiveTtftCounter } from '../../src/run/live-view-histogram.js';
import { LiveState } from '../../src/run/live-view-state.js';
import { LiveWindow } from '../../src/run/live-view-window.js';
import { describeResult, runCli, withMock, withTemp } from '../cli/cli-process.js';

const totals = (issued: number, completed: number, failed: number, inFlight = 0): ShardProgress => ({
  issued,
  completed,
  failed,
  inFlight,
  portExhaustionEvents: 0,
  openConnections: 0,
  retries: 0,
});

/** Exact "lower" percentile of values, ms. */
function exact(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((p / 100) * (sorted.length - 1))];
}

test('TTFT buckets give p50/p99 within a bucket (~9 %) of the exact values', () => {
  const counter = new LiveTtftCounter();
  assert.equal(counter.take(), undefined, 'nothing to send when nothing finished');
  const ms: number[] = [];
  for (let i = 0; i < 1000; i++) ms.push(20 + (i % 100) * 0.5 + (i % 7 === 0 ? 400 : 0));
  for (const v of ms) counter.add(v * 1e6);
  const counts = counter.take()!;
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    1000,
  );
  assert.equal(counter.take(), undefined, 'take() empties it');
  for (const p of [50, 99]) {
    const live = bucketPercentileMs(counts, p)!;
    const truth = exact(ms, p);
    assert.ok(Math.abs(live / truth - 1) < 0.09, `p${p}: live ${live} vs exact ${truth}`);
  }
});

test('the window covers the last 10 s: rates, errors and TTFT of older seconds drop out', () => {
  const counter = new LiveTtftCounter();
  const slow = () => {
    for (let i = 0; i < 10; i++) counter.add(500e6);
    return counter.take();
  };
  const fast = () => {
    for (let i = 0; i < 10; i++) counter.add(20e6);
    return counter.take();
  };
  const w = new LiveWindow(0);
  // Seconds 0–4: 10 slow requests a second, one error a second.
  for (let s = 0; s < 5; s++) w.observe(s * 1000 + 500, totals(11 * (s + 1), 10 * (s + 1), s + 1), slow());
  let st = w.stats(5000);
  assert.equal(st.errors, 5);
  assert.ok(Math.abs(st.finishedPerS - 11) < 0.01, `${st.finishedPerS}`);
  assert.ok(st.ttftP50Ms! > 400);
  // Seconds 5–19: 10 fast requests a second, no errors.
  for (let s = 5; s < 20; s++) w.observe(s * 1000 + 500, totals(55 + 10 * (s - 4), 50 + 10 * (s - 4), 5), fast());
  st = w.stats(20_000);
  assert.equal(st.errors, 0, 'the errors were more than 10 s ago');
  assert.ok(st.ttftP99Ms! < 25, `p99 ${st.ttftP99Ms}: the slow seconds are out of the window`);
  assert.equal(st.ttftCount, 100);
  assert.equal(st.windowS, 10);
  assert.ok(Math.abs(st.finishedPerS - 10) < 0.6, `${st.finishedPerS}`);
});

test('phases: connecting, warmup, running, draining, done; ETA from the time left', () => {
  let now = 0;
  const s = new LiveState({ total: null, durationMs: 10_000, drainTimeoutMs: 5000, targetQps: 10 }, () => now);
  assert.equal(s.snapshot().phase, 'connecting');
  s.warm();
  assert.equal(s.snapshot().phase, 'warmup');
  now = 100;
  s.start();
  now = 4100;
  s.update(totals(40, 38, 0, 2));
  assert.equal(s.snapshot().phase, 'running');
  assert.equal(s.snapshot().etaS, 6);
  now = 10_600;
  s.update(totals(100, 97, 0, 3));
  assert.equal(s.snapshot().phase, 'draining');
  assert.equal(s.snapshot().etaS, 4.5);
  s.finish();
  assert.equal(s.snapshot().phase, 'done');
  assert.equal(s.snapshot().fraction, 1);
});

const benchArgs = (url: string, dir: string, extra: string[]) => [
  'benchmark',
  'online',
  '--endpoints',
  url,
  '--model',
  'm',
  '--max-output-tokens',
  '8',
  '--workers',
  '2',
  '--report-dir',
  dir,
  ...extra,
];

test(
  '--json: one parsable event per second, times increasing, counts consistent, then done and report',
  { timeout: 90_000 },
  async () => {
    await withMock({ ttftMs: 10, itlMs: 2, fault: 'status-500', faultEvery: 10 }, (mock) =>
      withTemp(async (tmp) => {
        const dir = path.join(tmp.dir, 'r');
        const r = await runCli(benchArgs(mock.url, dir, ['--target-qps', '40', '--duration', '4s', '--json']), {
          timeoutMs: 60_000,
        });
        assert.equal(r.code, 0, describeResult(r));
        const events = r.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, number | string | null>);
        const progress = events.filter((e) => e.event === 'progress');
        assert.ok(progress.length >= 3, `${progress.length} progress events`);
        assert.deepEqual(
          events.slice(-2).map((e) => e.event),
          ['done', 'report'],
        );
        const timed = events.slice(0, -1);
        for (let i = 1; i < timed.length; i++) {
          const [a, b] = [timed[i - 1], timed[i]];
          assert.ok((b.time_s as number) > (a.time_s as number), `time_s ${a.time_s} then ${b.time_s}`);
          for (const k of ['issued', 'completed', 'failed'])
            assert.ok((b[k] as number) >= (a[k] as number), `${k} went down`);
        }
        // About one a second (the first after 1 s).
        for (let i = 1; i < progress.length; i++) {
          const gap = (progress[i].time_s as number) - (progress[i - 1].time_s as number);
          assert.ok(gap > 0.8 && gap < 1.5, `gap ${gap} s`);
        }
        for (const e of timed) {
          assert.equal(e.issued, (e.completed as number) + (e.failed as number) + (e.in_flight as number));
          assert.equal(e.target_qps, 40);
          assert.ok(['connecting', 'warmup', 'running', 'draining', 'done'].includes(e.phase as string));
        }
        const running = progress.filter((e) => e.phase === 'running' && (e.ttft_count as number) > 10);
        assert.ok(running.length >= 1, 'a running event with TTFTs');
        for (const e of running) {
          assert.ok((e.ttft_p50_ms as number) >= 8 && (e.ttft_p50_ms as number) < 500, `p50 ${e.ttft_p50_ms}`);
          assert.ok((e.ttft_p99_ms as number) >= (e.ttft_p50_ms as number));
          assert.ok((e.sent_per_s as number) > 10 && (e.sent_per_s as number) < 80, `sent ${e.sent_per_s}/s`);
        }
        const done = events.at(-2)!;
        const report = events.at(-1)!;
        assert.equal(done.in_flight, 0);
        assert.equal(report.completed, done.completed);
        assert.equal(report.failed, done.failed);
        assert.ok((report.failed as number) > 0, 'the faults show');
        assert.equal(report.report_dir, dir);
        assert.equal(report.exit_code, 0);
        // The text report went to stderr: stdout is JSON only.
        assert.match(r.stderr, /llm-loadgen result/);
      }),
    );
  },
);

test('not a terminal: a plain progress line every few seconds on stderr', { timeout: 90_000 }, async () => {
  await withMock({ ttftMs: 10, itlMs: 2 }, (mock) =>
    withTemp(async (tmp) => {
      const r = await runCli(benchArgs(mock.url, path.join(tmp.dir, 'r'), ['--concurrency', '4', '--duration', '6s']), {
        timeoutMs: 60_000,
      });
      assert.equal(r.code, 0, describeResult(r));
      assert.match(
        r.stderr,
        /^progress: running \d+% ETA \d+s, \d+ done, \d+ in flight, [\d.]+ req\/s \(concurrency 4\), TTFT p50 [\d.]+ p99 [\d.]+ ms, \d+ errors? \(last 10 s\), \d+s$/m,
      );
      assert.ok(!r.stderr.includes('\u001b['), 'no terminal escapes in a log');
      assert.match(r.stdout, /llm-loadgen result/);
    }),
  );
});

test('--quiet prints only the final report', { timeout: 90_000 }, async () => {
  await withMock({ ttftMs: 5 }, (mock) =>
    withTemp(async (tmp) => {
      const r = await runCli(
        benchArgs(mock.url, path.join(tmp.dir, 'r'), ['--concurrency', '2', '--num-samples', '20', '--quiet']),
        { timeoutMs: 60_000 },
      );
      assert.equal(r.code, 0, describeResult(r));
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^llm-loadgen result\n/);
      assert.match(r.stdout, /20 issued, 20 completed, 0 failed/);
    }),
  );
});
