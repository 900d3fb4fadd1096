/**
 * `llm-loadgen benchmark` end to end: the real CLI as a child process (shards forked from it)
 * against real servers on 127.0.0.1 — the built-in mock, or a plain node:http server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import {
  closedPort,
  describeResult,
  readJson,
  readJsonl,
  runCli,
  spawnCli,
  startRecordingServer,
  waitFor,
  type CliResult,
  assertExit,
  withMock,
  withTemp,
  cli,
} from './cli-process.js';
import { REPORT_FILES } from '../../src/report/report-files.js';

const PERCENTILE_KEYS = ['99.9', '99.0', '97.0', '95.0', '90.0', '80.0', '75.0', '50.0', '25.0', '10.0', '5.0', '1.0'];
const SERIES = [
  'ttft',
  'tpot',
  'itl',
  'latency',
  'input_sequence_lengths',
  'output_sequence_lengths',
  'client_wait',
] as const;

async function summaryOf(dir: string): Promise<ResultSummary> {
  return readJson<ResultSummary>(path.join(dir, REPORT_FILES.summary));
}

function assertAccounting(s: ResultSummary): void {
  assert.equal(s.n_samples_issued, s.n_samples_completed + s.n_samples_failed, 'issued = completed + failed');
}

/** Every file of a report dir, as text (recursively, though reports are flat today). */
async function reportTexts(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    if ((await stat(file)).isDirectory()) {
      for (const [k, v] of await reportTexts(file)) out.set(path.join(name, k), v);
    } else {
      out.set(name, await readFile(file, 'utf8'));
    }
  }
  return out;
}

test('online concurrency run: exit 0 and a complete, consistent report', { timeout: 60_000 }, async () => {
  await withMock({ ttftMs: 20, itlMs: 2, outputTokens: 8 }, (mock) =>
    withTemp(async ({ dir }) => {
      const r = await runCli(cli`
        benchmark online --endpoints ${mock.url} --model m --concurrency 4 --max-output-tokens 8 --num-samples 40
        --workers 2 --report-dir ${dir}
      `);
      assertExit(r, 0);
      const s = await summaryOf(dir);
      assert.equal(s.state, 'complete');
      assert.equal(s.complete, true);
      assert.equal(s.mode, 'online');
      assert.equal(s.load_pattern, 'concurrency');
      assert.equal(s.n_samples_issued, 40);
      assert.equal(s.n_samples_completed, 40);
      assert.equal(s.n_samples_failed, 0);
      assertAccounting(s);
      assert.deepEqual(s.errors, {});
      assert.ok(s.ttft.min !== null && s.ttft.min >= 20e6, `ttft.min ${s.ttft.min} ns must be >= the server's 20 ms`);
      assert.equal(s.output_sequence_lengths.avg, 8);
      // The mock reports "length" when the request's max_tokens set the count (--max-output-tokens 8).
      assert.equal(s.finish_reason_counts.length, 40);
      for (const series of SERIES) {
        assert.deepEqual(
          Object.keys(s[series].percentiles).sort(),
          [...PERCENTILE_KEYS].sort(),
          `${series} percentile keys`,
        );
        for (const key of PERCENTILE_KEYS)
          assert.equal(typeof s[series].percentiles[key as '50.0'], 'number', `${series}[${key}]`);
      }
      // The mock streams token k at ttft + k * itl: E2E >= 20 + 7 * 2 ms.
      assert.ok(s.latency.min !== null && s.latency.min >= 34e6, `latency.min ${s.latency.min}`);
      assert.equal(mock.stats().completionRequests, 40, 'the server saw exactly the issued requests');

      const records = await readJsonl(path.join(dir, 'records.jsonl'));
      assert.equal(records.length, 40);
      assert.equal(new Set(records.map((x) => x.id)).size, 40, 'record ids are unique');
      assert.deepEqual(new Set(records.map((x) => x.shard)), new Set([0, 1]), 'both shards sent requests');
      for (const rec of records) {
        assert.equal(rec.error, null);
        assert.equal(rec.streaming, true);
        assert.ok(typeof rec.ttft_ns === 'number' && rec.ttft_ns >= 20e6, `record ttft ${rec.ttft_ns}`);
      }

      const text = await readFile(path.join(dir, 'report.txt'), 'utf8');
      assert.match(text, /^TTFT\s+\d/m);
      assert.match(text, /= first token - request sent/);
      assert.ok(r.stdout.includes('TTFT'), 'the report is printed on stdout');
      assert.ok(existsSync(path.join(dir, 'config.yaml')), 'config.yaml written');
      assert.match(await readFile(path.join(dir, 'config.yaml'), 'utf8'), /concurrency: 4/);
    }),
  );
});

test('offline run: non-streaming by default, every request completed, no TTFT', { timeout: 60_000 }, async () => {
  await withMock({ ttftMs: 20, itlMs: 2, outputTokens: 8 }, (mock) =>
    withTemp(async ({ dir }) => {
      const r = await runCli(cli`
        benchmark offline --endpoints ${mock.url} --model m --num-samples 30 --max-output-tokens 8 --workers 2
        --report-dir ${dir}
      `);
      assertExit(r, 0);
      const s = await summaryOf(dir);
      assert.equal(s.state, 'complete');
      assert.equal(s.mode, 'offline');
      assert.equal(s.n_samples_issued, 30);
      assert.equal(s.n_samples_completed, 30);
      assertAccounting(s);
      for (const series of ['ttft', 'tpot', 'itl'] as const) {
        assert.equal(s[series].avg, null, `${series} is empty without streaming`);
        for (const key of PERCENTILE_KEYS)
          assert.equal(s[series].percentiles[key as '50.0'], null, `${series}[${key}]`);
      }
      // A non-streamed answer arrives when the whole generation would have ended: 20 + 7 * 2 ms.
      assert.ok(s.latency.min !== null && s.latency.min >= 34e6, `latency.min ${s.latency.min}`);
      assert.equal(s.output_sequence_lengths.avg, 8);
      const records = await readJsonl(path.join(dir, 'records.jsonl'));
      assert.equal(records.length, 30);
      assert.ok(records.every((x) => x.streaming === false && x.ttft_ns === null && typeof x.latency_ns === 'number'));
      assert.match(await readFile(path.join(dir, 'report.txt'), 'utf8'), /TTFT\/TPOT\/ITL need --streaming on/);
    }),
  );
});

test('poisson run: --target-qps 50 --duration 2s issues about 100 requests', { timeout: 60_000 }, async () => {
  await withMock({ ttftMs: 5, itlMs: 1, outputTokens: 4 }, (mock) =>
    withTemp(async ({ dir }) => {
      const r = await runCli(cli`
        benchmark online --endpoints ${mock.url} --model m --target-qps 50 --duration 2s --workers 2 --report-dir
        ${dir}
      `);
      assertExit(r, 0);
      const s = await summaryOf(dir);
      assert.equal(s.state, 'complete');
      assert.equal(s.load_pattern, 'poisson');
      // Poisson(100): sd 10; 60..140 is a ±4 sd band.
      assert.ok(s.n_samples_issued >= 60 && s.n_samples_issued <= 140, `issued ${s.n_samples_issued}`);
      assert.equal(s.n_samples_failed, 0);
      assertAccounting(s);
      assert.equal((await readJsonl(path.join(dir, 'records.jsonl'))).length, s.n_samples_issued);
    }),
  );
});

test(
  'secrets (--api-key, OPENAI_API_KEY, URL credentials) are sent but never written or printed',
  { timeout: 60_000 },
  async () => {
    const KEY = 'sk-secret-XYZ';
    const PASSWORD = 'pw123';
    const basic = `Basic ${Buffer.from(`user:${PASSWORD}`).toString('base64')}`;
    const basicEncoded = Buffer.from(`user:${PASSWORD}`).toString('base64');
    const cases: { name: string; args: string[]; env: Record<string, string>; expectAuth: string }[] = [
      { name: '--api-key', args: ['--api-key', KEY], env: {}, expectAuth: `Bearer ${KEY}` },
      { name: 'OPENAI_API_KEY', args: [], env: { OPENAI_API_KEY: KEY }, expectAuth: `Bearer ${KEY}` },
      { name: 'URL credentials only', args: [], env: {}, expectAuth: basic },
    ];
    await withTemp(async ({ dir: root }) => {
      await Promise.all(
        cases.map(async (c, i) => {
          const server = await startRecordingServer();
          try {
            const dir = path.join(root, `run${i}`);
            const url = server.url.replace('http://', `http://user:${PASSWORD}@`);
            const r = await runCli(
              [
                'benchmark',
                'online',
                '--endpoints',
                url,
                '--model',
                'm',
                '--concurrency',
                '2',
                '--num-samples',
                '4',
                '--workers',
                '1',
                '--report-dir',
                dir,
                ...c.args,
              ],
              { env: c.env },
            );
            assertExit(r, 0);
            const s = await summaryOf(dir);
            assert.equal(s.n_samples_completed, 4, c.name);
            const posts = server.headers.filter((h) => h['content-type']?.includes('json'));
            assert.equal(posts.length, 4, `${c.name}: the server got 4 completion requests`);
            for (const h of posts) assert.equal(h.authorization, c.expectAuth, `${c.name}: Authorization header`);
            const outputs = new Map(await reportTexts(dir));
            outputs.set('stdout', r.stdout);
            outputs.set('stderr', r.stderr);
            assert.ok(
              outputs.has('config.yaml') &&
                outputs.has('records.jsonl') &&
                outputs.has('report.txt') &&
                outputs.has(REPORT_FILES.summary),
            );
            for (const [name, text] of outputs) {
              for (const secret of [KEY, PASSWORD, basicEncoded]) {
                assert.ok(!text.includes(secret), `${c.name}: "${secret}" leaked into ${name}`);
              }
            }
            // The key is never written: config.yaml names the variable that reproduces the run.
            if (c.name === 'URL credentials only') assert.doesNotMatch(outputs.get('config.yaml')!, /api_key/);
            else assert.match(outputs.get('config.yaml')!, /api_key: \$\{OPENAI_API_KEY\}/);
            assert.ok(r.stderr.includes(server.url), `${c.name}: the endpoint is shown without credentials`);
          } finally {
            await server.close();
          }
        }),
      );
    });
    // A server that echoes the credentials in its error bodies: the messages are kept, the secret not.
    await withTemp(async ({ dir }) => {
      const echo400 = await startRecordingServer({ fixedStatus: 400, echoAuthorization: true });
      try {
        const url = echo400.url.replace('http://', `http://user:${PASSWORD}@`);
        const [bench, bench2, probe] = await Promise.all([
          runCli(cli`
            benchmark online --endpoints ${echo400.url} --model m --concurrency 1 --num-samples 2 --workers 1
            --report-dir ${path.join(dir, 'key')} --api-key ${KEY}
          `),
          runCli(cli`
            benchmark online --endpoints ${url} --model m --concurrency 1 --num-samples 2 --workers 1 --report-dir
            ${path.join(dir, 'basic')}
          `),
          runCli(['probe', '--endpoints', echo400.url, '--model', 'm', '--requests', '1'], {
            env: { OPENAI_API_KEY: KEY },
          }),
        ]);
        assertExit(bench, 4);
        assertExit(bench2, 4);
        assertExit(probe, 4);
        assert.match(probe.stdout, /HTTP 400.*Invalid credentials: Bearer \*\*\*/, describeResult(probe));
        const outputs = new Map([
          ...(await reportTexts(path.join(dir, 'key'))),
          ...[...(await reportTexts(path.join(dir, 'basic')))].map(([k, v]) => [`basic/${k}`, v] as const),
        ]);
        for (const r of [bench, bench2, probe]) {
          outputs.set(`stdout ${outputs.size}`, r.stdout);
          outputs.set(`stderr ${outputs.size}`, r.stderr);
        }
        assert.match(
          outputs.get(REPORT_FILES.summary)!,
          /Invalid credentials: Bearer \*\*\*/,
          'the error message itself is kept',
        );
        for (const [name, text] of outputs) {
          for (const secret of [KEY, PASSWORD, basicEncoded])
            assert.ok(!text.includes(secret), `echoed "${secret}" leaked into ${name}`);
        }
      } finally {
        await echo400.close();
      }
    });

    // Failures before the run must not leak them either.
    const port = await closedPort();
    const failures = await Promise.all([
      runCli(cli`
        benchmark online --endpoints ${`http://user:${PASSWORD}@127.0.0.1:${port}`} --model m --concurrency 1
        --num-samples 1 --api-key ${KEY}
      `),
      runCli(cli`
        benchmark online --endpoints ${`http://user:${PASSWORD}@127.0.0.1:notaport`} --model m --concurrency 1
        --num-samples 1
      `),
    ]);
    assertExit(failures[0], 3);
    assertExit(failures[1], 2);
    for (const r of failures) {
      for (const secret of [KEY, PASSWORD])
        assert.ok(!(r.stdout + r.stderr).includes(secret), `"${secret}" leaked: ${describeResult(r)}`);
    }
  },
);

test(
  'datasets: a question column works; bad JSON and a missing prompt column exit 2 naming the line',
  { timeout: 60_000 },
  async () => {
    await withMock({ ttftMs: 1, itlMs: 1, outputTokens: 3 }, (mock) =>
      withTemp(async ({ dir }) => {
        const good = path.join(dir, 'good.jsonl');
        await writeFile(
          good,
          ['one two three', 'four five', 'six seven eight nine', 'ten']
            .map((q) => JSON.stringify({ question: q }))
            .join('\n') + '\n',
        );
        const badJson = path.join(dir, 'bad-json.jsonl');
        await writeFile(badJson, '{"question": "a"}\n{"question": "b"}\n{"question": oops}\n{"question": "d"}\n');
        const noPrompt = path.join(dir, 'no-prompt.jsonl');
        await writeFile(noPrompt, '{"question": "a"}\n{"answer": "b"}\n');

        const base = cli`benchmark offline --endpoints ${mock.url} --model m --workers 1`;
        const [ok, bad, missing] = await Promise.all([
          runCli([...base, '--dataset', good, '--report-dir', path.join(dir, 'good')]),
          runCli([...base, '--dataset', badJson, '--report-dir', path.join(dir, 'bad')]),
          runCli([...base, '--dataset', noPrompt, '--report-dir', path.join(dir, 'missing')]),
        ]);
        assertExit(ok, 0);
        const s = await summaryOf(path.join(dir, 'good'));
        assert.equal(s.n_samples_issued, 4, 'offline defaults to one request per row');
        assert.equal(s.n_samples_completed, 4);
        // The mock counts prompt words: the questions were sent as the prompts.
        assert.equal(s.input_sequence_lengths.min, 1);
        assert.equal(s.input_sequence_lengths.max, 4);
        assert.equal(s.input_sequence_lengths.total, 10);

        assertExit(bad, 2);
        assert.ok(bad.stderr.includes('bad-json.jsonl:3'), describeResult(bad));
        assertExit(missing, 2);
        assert.ok(missing.stderr.includes('no-prompt.jsonl:2'), describeResult(missing));
        assert.match(missing.stderr, /prompt/);
        // Nothing was sent and no report dir was made for bad input.
        assert.equal(existsSync(path.join(dir, 'bad')), false);
        assert.equal(existsSync(path.join(dir, 'missing')), false);
        assert.equal(mock.stats().completionRequests, 4);
      }),
    );
  },
);

test('exit codes: bad input 2, --help 0', { timeout: 60_000 }, async () => {
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}`;
  const online = ['benchmark', 'online', '--endpoints', url];
  const cases: { args: string[]; code: number; stderr?: RegExp; stdout?: RegExp }[] = [
    { args: [...online, '--model', 'm', '--concurrency', 'abc'], code: 2, stderr: /--concurrency/ },
    { args: [...online, '--model', 'm', '--target-qps', '-1'], code: 2, stderr: /--target-qps/ },
    { args: [...online, '--concurrency', '2'], code: 2, stderr: /--model/ },
    { args: [...online, '--model', 'm', '--concurrency', '2', '--no-such-flag'], code: 2, stderr: /--no-such-flag/ },
    { args: [...online, '--model', 'm', '--concurrency', '2', '--streaming', 'maybe'], code: 2, stderr: /--streaming/ },
    { args: [...online, '--model', 'm'], code: 2, stderr: /--target-qps/ },
    { args: [...online, '--model', 'm', '--load-pattern', 'concurrency'], code: 2, stderr: /--concurrency/ },
    { args: [...online, '--model', 'm', '--concurrency', '2', '--duration', 'soon'], code: 2, stderr: /--duration/ },
    {
      args: cli`benchmark offline --endpoints ${url} --model m --concurrency 2`,
      code: 2,
      stderr: /--concurrency/,
    },
    { args: ['--help'], code: 0, stdout: /Usage: llm-loadgen/ },
    { args: ['benchmark', 'online', '--help'], code: 0, stdout: /--target-qps/ },
  ];
  // Two at a time: each is a short tsx start-up.
  for (let i = 0; i < cases.length; i += 2) {
    const batch = cases.slice(i, i + 2);
    const results = await Promise.all(batch.map((c) => runCli(c.args)));
    batch.forEach((c, j) => {
      const r = results[j];
      const label = `${c.args.join(' ')}\n${describeResult(r)}`;
      assert.equal(r.code, c.code, label);
      if (c.stderr) assert.match(r.stderr, c.stderr, label);
      if (c.stdout) assert.match(r.stdout, c.stdout, label);
      if (c.code === 2)
        assert.doesNotMatch(r.stderr, /internal error|at .*\.ts:\d+/, `no stack trace for bad input: ${label}`);
    });
  }
});

test('exit code 3: an unreachable endpoint is one clear error before any load', { timeout: 60_000 }, async () => {
  const port = await closedPort();
  await withTemp(async ({ dir }) => {
    const report = path.join(dir, 'r');
    const r = await runCli(cli`
      benchmark online --endpoints ${`http://127.0.0.1:${port}`} --model m --concurrency 2 --num-samples 4
      --workers 1 --report-dir ${report}
    `);
    assertExit(r, 3);
    assert.match(r.stderr, /cannot connect/);
    assert.ok(r.stderr.includes(String(port)), 'the message names the endpoint');
    assert.equal(existsSync(report), false, 'no report for a run that never started');
  });
});

test(
  'exit code 2: a --report-dir that cannot be a directory is bad input, not a crash',
  { timeout: 60_000 },
  async () => {
    await withMock({}, (mock) =>
      withTemp(async ({ dir }) => {
        const file = path.join(dir, 'a-file');
        await writeFile(file, 'not a directory\n');
        const base = cli`benchmark online --endpoints ${mock.url} --model m --concurrency 1 --num-samples 1 --workers 1`;
        const results = await Promise.all([
          runCli([...base, '--report-dir', file]),
          runCli([...base, '--report-dir', path.join(file, 'sub')]),
        ]);
        for (const r of results) {
          assertExit(r, 2);
          assert.match(r.stderr, /--report-dir/);
          assert.doesNotMatch(r.stderr, /internal error/);
        }
        assert.equal(mock.stats().completionRequests, 0);
      }),
    );
  },
);

test('exit code 4: every request failing still writes the report, with the errors', { timeout: 60_000 }, async () => {
  await withMock({ fault: 'status-500' }, (mock) =>
    withTemp(async ({ dir }) => {
      const r = await runCli(cli`
        benchmark online --endpoints ${mock.url} --model m --concurrency 2 --num-samples 10 --workers 1
        --report-dir ${dir}
      `);
      assertExit(r, 4);
      assert.match(r.stderr, /all_requests_failed/);
      const s = await summaryOf(dir);
      assert.equal(s.n_samples_issued, 10);
      assert.equal(s.n_samples_completed, 0);
      assert.equal(s.n_samples_failed, 10);
      assert.equal(s.errors.http_status?.count, s.n_samples_issued);
      assert.match(s.errors.http_status?.example ?? '', /HTTP 500/);
      assert.equal((await readJsonl(path.join(dir, 'records.jsonl'))).length, 10);
      assert.match(await readFile(path.join(dir, 'report.txt'), 'utf8'), /http_status/);
    }),
  );
});

test('failed requests are records: resets and malformed SSE are counted, exit 0', { timeout: 60_000 }, async () => {
  await withTemp(async ({ dir }) => {
    const faults = [
      { fault: 'reset', code: 'connection_reset' },
      { fault: 'malformed-sse', code: 'malformed_sse' },
    ] as const;
    await Promise.all(
      faults.map(({ fault, code }) =>
        withMock({ ttftMs: 2, itlMs: 1, outputTokens: 6, fault, faultEvery: 3 }, async (mock) => {
          const report = path.join(dir, fault);
          const r = await runCli(cli`
            benchmark online --endpoints ${mock.url} --model m --concurrency 3 --num-samples 30 --workers 1
            --report-dir ${report}
          `);
          assertExit(r, 0);
          const s = await summaryOf(report);
          assertAccounting(s);
          assert.equal(s.n_samples_issued, 30, fault);
          assert.ok(s.n_samples_failed > 0, `${fault}: some requests failed`);
          assert.ok(s.n_samples_completed > 0, `${fault}: some requests completed`);
          assert.equal(
            s.errors[code]?.count,
            s.n_samples_failed,
            `${fault}: every failure is ${code}: ${JSON.stringify(s.errors)}`,
          );
          assert.equal(s.n_samples_failed, mock.stats().faultsInjected, `${fault}: one failure per injected fault`);
          assert.ok(
            s.warnings.some((w) => /requests failed/.test(w)),
            `${fault}: warned`,
          );
          const records = await readJsonl(path.join(report, 'records.jsonl'));
          assert.equal(records.length, 30);
          assert.equal(records.filter((x) => x.error === code).length, s.n_samples_failed);
        }),
      ),
    );
  });
});

test(
  'Ctrl-C: exit 130, in-flight requests cancelled, a partial report with every record',
  { timeout: 60_000 },
  async () => {
    await withMock({ ttftMs: 10, itlMs: 50, outputTokens: 200 }, (mock) =>
      withTemp(async ({ dir }) => {
        const { child, finished } = spawnCli(
          cli`
            benchmark online --endpoints ${mock.url} --model m --concurrency 4 --duration 60s --workers 2
            --report-dir ${dir}
          `,
          { timeoutMs: 30_000 },
        );
        let early: CliResult | null = null;
        void finished.then((r) => (early = r));
        const running = (what: string) => () => {
          if (early !== null) throw new Error(`the run ended before ${what}: ${describeResult(early)}`);
        };
        try {
          const records = path.join(dir, 'records.jsonl');
          // records.jsonl is written after the run, so "running" means: every slot has a request on
          // the wire (each takes 10 s at the server).
          await waitFor(
            () => (running('4 requests reached the server')(), mock.stats().completionRequests >= 4),
            20_000,
            '4 requests at the server',
          );
          await new Promise((r) => setTimeout(r, 1500));
          const signalledAt = Date.now();
          child.kill('SIGINT');
          const r = await finished;
          const tookMs = Date.now() - signalledAt;
          assertExit(r, 130);
          assert.ok(tookMs < 10_000, `exited ${tookMs} ms after SIGINT`);
          assert.match(r.stderr, /interrupted/);
          const s = await summaryOf(dir);
          assert.equal(s.state, 'interrupted');
          assert.equal(s.complete, false);
          assertAccounting(s);
          assert.ok(s.n_samples_issued >= 4, `issued ${s.n_samples_issued}`);
          assert.ok((s.errors.cancelled?.count ?? 0) >= 4, `in-flight requests cancelled: ${JSON.stringify(s.errors)}`);
          assert.equal((await readJsonl(records)).length, s.n_samples_issued, 'records.jsonl has every issued request');
          assert.match(await readFile(path.join(dir, 'report.txt'), 'utf8'), /interrupted/);
        } finally {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await finished.catch(() => undefined);
        }
      }),
    );
  },
);
