import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { assessClientHealth, type ClientHealthInput } from '../../src/metrics/client-health.js';
import { buildResultSummary } from '../../src/metrics/result-summary.js';
import { formatReportText } from '../../src/report/report-text.js';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { assertExit, readJson, runCli, withMock, withTemp, cli } from '../cli/cli-process.js';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import { streamedRecord } from './record-fixture.js';

const MS = 1e6;

const healthy: ClientHealthInput = {
  shards: [{ shard: 0, cpuNs: 200 * MS, eventLoopDelay: { p50Ns: 10e3, p99Ns: 200e3, maxNs: 1 * MS, meanNs: 20e3 } }],
  durationNs: 1000 * MS,
  clientWaitP99Ns: 0.5 * MS,
  scheduleLagP99Ns: 0.2 * MS,
  ttftP50Ns: 20 * MS,
  openLoop: { issued: 1000, lastSentNs: 10_000 * MS, lastScheduledNs: 9_990 * MS, startNs: 0 },
  targetRate: 100,
};

test('a healthy client: nothing named, every measurement reported', () => {
  const h = assessClientHealth(healthy);
  assert.equal(h.distorted, false);
  assert.deepEqual(h.causes, []);
  assert.deepEqual(h.shards, [
    {
      shard: 0,
      cpu_share: 0.2,
      event_loop_delay_p50_ns: 10e3,
      event_loop_delay_p99_ns: 200e3,
      event_loop_delay_max_ns: 1 * MS,
    },
  ]);
  assert.equal(h.achieved_rate, 100);
  assert.ok(Math.abs(h.scheduled_rate! - 1000 / 9.99) < 1e-9);
});

test('each limit names its cause: shard CPU ≥ 90 %, client wait p99 over max(1 ms, 1 % of TTFT p50), rate > 1 % behind', () => {
  const cpu = assessClientHealth({ ...healthy, shards: [{ ...healthy.shards[0], cpuNs: 900 * MS }] });
  assert.equal(cpu.distorted, true);
  assert.match(cpu.causes[0], /^shard 0 used 90 % of a core, event-loop delay p99 0\.20 ms/);
  assert.equal(
    assessClientHealth({ ...healthy, shards: [{ ...healthy.shards[0], cpuNs: 899 * MS }] }).distorted,
    false,
  );

  // TTFT p50 20 ms: the 1 ms floor rules (1 % is 0.2 ms).
  assert.equal(assessClientHealth({ ...healthy, clientWaitP99Ns: 1 * MS }).distorted, false);
  const wait = assessClientHealth({ ...healthy, clientWaitP99Ns: 1.2 * MS });
  assert.match(wait.causes[0], /client wait p99 1\.20 ms is over 1\.00 ms; schedule lag p99 0\.20 ms/);
  // TTFT p50 500 ms: 1 % is 5 ms.
  assert.equal(assessClientHealth({ ...healthy, ttftP50Ns: 500 * MS, clientWaitP99Ns: 4 * MS }).distorted, false);
  assert.match(
    assessClientHealth({ ...healthy, ttftP50Ns: 500 * MS, clientWaitP99Ns: 6 * MS }).causes[0],
    /over 1 % of TTFT p50 \(500\.00 ms\)/,
  );

  // Sends spread over 10.2 s where the schedule took 10 s: 2 % behind.
  const late = assessClientHealth({
    ...healthy,
    openLoop: { ...healthy.openLoop!, lastSentNs: 10_200 * MS, lastScheduledNs: 10_000 * MS },
  });
  assert.match(
    late.causes[0],
    /sent at 98\.04 req\/s, 2\.0 % below its schedule's 100\.00 req\/s \(target 100 req\/s\)/,
  );
});

test('the summary carries client_health and a loud CLIENT HEALTH warning in report.txt', () => {
  // Poisson: every request left 5 ms after its scheduled time; TTFT 50 ms (1 % = 0.5 ms, floor 1 ms).
  const records = Array.from({ length: 50 }, (_, i) =>
    streamedRecord(i, 1e12 + (i + 1) * 20 * MS + 5 * MS, [50 * MS, 60 * MS], { scheduled: 1e12 + (i + 1) * 20 * MS }),
  );
  const s = buildResultSummary({
    records,
    state: 'complete',
    startNs: 1e12,
    endNs: 1e12 + 1100 * MS,
    mode: 'online',
    loadPattern: 'poisson',
    shardHealth: [{ shard: 0, cpuNs: 1000 * MS, eventLoopDelay: null }],
  });
  assert.equal(s.client_health.distorted, true);
  assert.equal(s.client_health.causes.length, 2);
  const text = formatReportText(s, {
    model: 'm',
    endpoints: ['e'],
    mode: 'online',
    loadPattern: 'poisson',
    streaming: true,
  });
  assert.match(
    text.replace(/\s+/g, ' '),
    /WARNING: CLIENT HEALTH: the client may have distorted these numbers: shard 0 used 91 % of a core/,
  );
  assert.match(text.replace(/\s+/g, ' '), /client wait p99 5\.00 ms is over 1\.00 ms/);
});

test('a real run reports each shard’s CPU and event-loop delay', async () => {
  await withMock({ ttftMs: 10, itlMs: 1, outputTokens: 4 }, (mock) =>
    withTemp(async ({ dir }) => {
      const r = await runCli(cli`
        benchmark online --endpoints ${mock.url} --model m --concurrency 2 --num-samples 20 --workers 2
        --report-dir ${dir}
      `);
      assertExit(r, 0);
      const s = await readJson<ResultSummary>(path.join(dir, REPORT_FILES.summary));
      assert.equal(s.client_health.shards.length, 2);
      for (const sh of s.client_health.shards) {
        assert.ok(sh.cpu_share > 0 && sh.cpu_share < 2, `cpu_share ${sh.cpu_share}`);
        assert.ok(sh.event_loop_delay_p99_ns !== null && sh.event_loop_delay_p99_ns > 0);
      }
    }),
  );
});
