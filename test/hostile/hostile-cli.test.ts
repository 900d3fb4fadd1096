/**
 * Hostile-server cases that are about the whole run, through the real CLI (a child process with a
 * hard time limit): the run ends, the summary's counts equal what the server received and broke,
 * and what the console shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeResult, makeTempDir, readJson, readJsonl, runCli, type CliResult, cli } from '../cli/cli-process.js';
import { rawServer, write, type RawHandler, type RawServer } from './raw-server.js';
import { SSE_HEAD, chunk, content, goodAnswer, role, LAST_CHUNK } from './wire.js';
import { REPORT_FILES } from '../../src/report/report-files.js';

interface Summary {
  n_samples_issued: number;
  n_samples_completed: number;
  n_samples_failed: number;
  errors: Record<string, unknown>;
  duration_ns: number;
  client_health: { shards: { event_loop_delay_max_ns: number | null }[] };
}

interface CliRun {
  result: CliResult;
  dir: string;
  summary(): Promise<Summary>;
  records(): Promise<Record<string, unknown>[]>;
  elapsedMs: number;
}

/** Run `benchmark online` against a raw server with `handler`; `fn` checks the run. */
async function withCliRun(
  handler: RawHandler,
  args: string[],
  timeoutMs: number,
  fn: (run: CliRun, server: RawServer) => Promise<void>,
): Promise<void> {
  const server = await rawServer(handler);
  const tmp = await makeTempDir('llm-loadgen-hostile-');
  try {
    const t0 = performance.now();
    const result = await runCli(
      [
        'benchmark',
        'online',
        '--endpoints',
        server.url,
        '--model',
        'm',
        '--workers',
        '1',
        '--report-dir',
        tmp.dir,
        ...args,
      ],
      { timeoutMs },
    );
    const elapsedMs = performance.now() - t0;
    assert.notEqual(result.code, null, `the run did not end within ${timeoutMs} ms\n${describeResult(result)}`);
    await fn(
      {
        result,
        dir: tmp.dir,
        elapsedMs,
        summary: () => readJson<Summary>(path.join(tmp.dir, REPORT_FILES.summary)),
        records: () => readJsonl(path.join(tmp.dir, 'records.jsonl')),
      },
      server,
    );
  } finally {
    await server.close();
    await tmp.cleanup();
  }
}

test(
  'a server that resets every 3rd request: the summary counts every request the server received, failed = reset',
  { timeout: 60_000 },
  () =>
    withCliRun(
      (r, server) => {
        if (r.index % 3 === 2) {
          server.broke();
          r.socket.resetAndDestroy();
        } else write(r.socket, goodAnswer(r.body));
      },
      ['--concurrency', '2', '--num-samples', '30'],
      30_000,
      async (run, server) => {
        const s = await run.summary();
        assert.equal(s.n_samples_issued, server.requests(), 'issued = received by the server');
        assert.equal(s.n_samples_failed, server.broken(), 'failed = reset by the server');
        assert.equal(s.n_samples_issued, s.n_samples_completed + s.n_samples_failed);
      },
    ),
);

test(
  'a body that trickles forever with no --request-timeout: --duration still ends the run, the hung requests cancelled_at_end',
  { timeout: 60_000 },
  () =>
    withCliRun(
      (r, server) => {
        write(r.socket, SSE_HEAD + chunk(role()));
        const tick = (): void => {
          if (r.socket.destroyed) return;
          write(r.socket, chunk(content('x')));
          server.later(50, tick);
        };
        tick();
      },
      ['--concurrency', '2', '--duration', '1s', '--request-timeout', '0', '--drain-timeout', '1s'],
      20_000,
      async (run, server) => {
        const records = await run.records();
        assert.equal(records.length, server.requests(), 'every request the server got has a record');
        assert.ok(records.length >= 2);
        for (const rec of records) assert.equal(rec.error, 'cancelled_at_end');
        assert.match(run.result.stdout + run.result.stderr, /cancelled_at_end/);
      },
    ),
);

test('--request-timeout 200ms against a black hole fires within a few ms of 200 ms', { timeout: 60_000 }, () =>
  withCliRun(
    () => {},
    ['--concurrency', '1', '--num-samples', '3', '--request-timeout', '200ms'],
    30_000,
    async (run) => {
      const records = await run.records();
      assert.equal(records.length, 3);
      // The shard's own event-loop delay (client_health) is how late any of its timers could run on
      // this machine: under CI load one fired 254.8 ms after sending with the loop measured that late.
      const s = await run.summary();
      const loopLateMs = Math.max(0, ...s.client_health.shards.map((h) => (h.event_loop_delay_max_ns ?? 0) / 1e6));
      for (const rec of records) {
        assert.equal(rec.error, 'timeout');
        const ms = ((rec.end_ns as number) - (rec.sent_ns as number)) / 1e6;
        assert.ok(
          ms >= 200 && ms < 250 + loopLateMs,
          `timed out ${ms.toFixed(1)} ms after sending (shard's event loop up to ${loopLateMs.toFixed(1)} ms late)`,
        );
      }
    },
  ),
);

test(
  '--request-timeout 300ms against a black hole: every request ends as timeout and the run exits 4',
  { timeout: 60_000 },
  () =>
    withCliRun(
      () => {},
      ['--concurrency', '1', '--num-samples', '2', '--request-timeout', '300ms'],
      30_000,
      async (run, server) => {
        assert.equal(run.result.code, 4, describeResult(run.result));
        const records = await run.records();
        assert.equal(records.length, 2);
        assert.equal(server.requests(), 2);
        for (const rec of records) {
          assert.equal(rec.error, 'timeout');
          assert.ok((rec.end_ns as number) - (rec.dispatched_ns as number) >= 300e6);
        }
      },
    ),
);

test(
  'an empty 200 stream fails every request (exit 4, empty_response), not "completed with 0 tokens"',
  { timeout: 60_000 },
  () =>
    withCliRun(
      (r) => write(r.socket, SSE_HEAD + LAST_CHUNK),
      ['--concurrency', '1', '--num-samples', '3'],
      30_000,
      async (run) => {
        assert.equal(run.result.code, 4, describeResult(run.result));
        const s = await run.summary();
        assert.equal(s.n_samples_failed, 3);
        assert.ok('empty_response' in s.errors || JSON.stringify(s.errors).includes('empty_response'));
      },
    ),
);

test('429 and 503 with Retry-After: each status is reported apart, with its Retry-After', { timeout: 60_000 }, () =>
  withCliRun(
    (r) => {
      const status = r.index % 2 === 0 ? '429 Too Many Requests' : '503 Service Unavailable';
      const retry = r.index % 2 === 0 ? '7' : '13';
      write(r.socket, `HTTP/1.1 ${status}\r\nRetry-After: ${retry}\r\nContent-Length: 0\r\n\r\n`);
    },
    ['--concurrency', '1', '--num-samples', '4'],
    30_000,
    async (run) => {
      const report = await readFile(path.join(run.dir, 'report.txt'), 'utf8');
      assert.match(report, /429/);
      assert.match(report, /503/);
      assert.match(report, /retry-after\D{0,8}7/i);
      assert.match(report, /retry-after\D{0,8}13/i);
    },
  ),
);

test(
  'a server that dies mid-run: failures do not flood, the run stops and exits 4 saying the endpoint is down',
  { timeout: 60_000 },
  async () => {
    // Answers 20 requests, then stops listening and drops its connections: every later connect is refused.
    const handler: RawHandler = (r, s) => {
      write(r.socket, goodAnswer(r.body));
      if (r.index === 19) void s.close();
    };
    const server = await rawServer(handler);
    const tmp = await makeTempDir('llm-loadgen-hostile-');
    try {
      const t0 = performance.now();
      const result = await runCli(
        cli`
          benchmark online --endpoints ${server.url} --model m --workers 1 --concurrency 4 --duration 8s
          --endpoint-down-timeout 1s --report-dir ${tmp.dir}
        `,
        { timeoutMs: 30_000 },
      );
      const elapsedMs = performance.now() - t0;
      assert.equal(result.code, 4, describeResult(result));
      assert.match(result.stderr, /down|unreachable|refused/i, describeResult(result));
      const s = await readJson<Summary>(path.join(tmp.dir, REPORT_FILES.summary));
      // --endpoint-down-timeout 1s ends the 8 s run early: the run's own window (the process's time
      // adds 2–5 s of tsx start-up on a loaded 2-core machine, which made this flaky at 7 s)
      assert.ok(
        s.duration_ns < 5e9,
        `the run took ${(s.duration_ns / 1e6).toFixed(0)} ms (process ${elapsedMs.toFixed(0)} ms)`,
      );
      assert.ok(s.n_samples_completed >= 20, `${s.n_samples_completed} completed`);
      // 4 in flight with a back-off: far fewer failures than a tight loop (the report: ~40,000 per second)
      assert.ok(s.n_samples_failed < 200, `${s.n_samples_failed} failures after the server died`);
    } finally {
      if (!server.closed) await server.close();
      await tmp.cleanup();
    }
  },
);

for (const [what, answer, code] of [
  ['HTTP 500', 'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n', 'http_status'],
  ['an empty 200 stream', SSE_HEAD + LAST_CHUNK, 'empty_response'],
] as const) {
  test(`probe against ${what}: exit 4, each request FAILED [${code}]`, { timeout: 60_000 }, async () => {
    const server = await rawServer((r) => write(r.socket, answer));
    try {
      const r = await runCli(['probe', '--endpoints', server.url, '--model', 'm', '--requests', '2'], {
        timeoutMs: 30_000,
      });
      assert.equal(r.code, 4, describeResult(r));
      assert.equal(r.stdout.split(`FAILED [${code}]`).length - 1, 2, describeResult(r));
      assert.match(r.stdout, /0 of 2 requests succeeded/, describeResult(r));
    } finally {
      await server.close();
    }
  });
}
