import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertExit, readJsonl, runCli, withMock, withTemp, cli } from '../cli/cli-process.js';
import { runInProcess } from '../cli/in-process-runner.js';

test('--trace (Mooncake JSONL) over 2 shards: row k is request k, sent at its time × --time-scale with its output length', async () => {
  await withMock({ ttftMs: 2, itlMs: 1 }, (mock) =>
    withTemp(async ({ dir }) => {
      const trace = path.join(dir, 'trace.jsonl');
      const rows = [0, 60, 150, 160, 300].map((ts, i) => ({
        timestamp: ts,
        input_length: 10 + i,
        output_length: 2 + i,
        hash_ids: [i % 2],
      }));
      await writeFile(trace, rows.map((r) => JSON.stringify(r)).join('\n'));
      const report = path.join(dir, 'report');
      const r = await runCli(cli`
        benchmark online --endpoints ${mock.url} --model m --trace ${trace} --time-scale 2 --workers 2
        --report-dir ${report}
      `);
      assertExit(r, 0);
      const records = (await readJsonl(path.join(report, 'records.jsonl'))).sort(
        (a, b) => (a.id as number) - (b.id as number),
      );
      assert.equal(records.length, 5);
      records.forEach((rec, k) => {
        assert.equal(rec.shard, k % 2);
        assert.equal(rec.output_tokens, rows[k].output_length);
        assert.equal(rec.input_tokens, rows[k].input_length);
        assert.ok(Math.abs((rec.scheduled_ns as number) / 1e6 - rows[k].timestamp * 2) < 0.01, `request ${k}`);
      });
    }),
  );
});

test('--load-pattern constant over 2 shards: the merged gaps are exactly 1/rate', async () => {
  await withMock({ ttftMs: 1, itlMs: 0 }, (mock) =>
    withTemp(async ({ dir }) => {
      const r = await runCli(cli`
        benchmark online --endpoints ${mock.url} --model m --load-pattern constant --target-qps 50 --num-samples
        30 --max-output-tokens 2 --workers 2 --report-dir ${dir}
      `);
      assertExit(r, 0);
      const times = (await readJsonl(path.join(dir, 'records.jsonl')))
        .map((rec) => rec.scheduled_ns as number)
        .sort((a, b) => a - b);
      assert.equal(times.length, 30);
      times.forEach((t, k) => assert.ok(Math.abs(t - (k + 1) * 20e6) < 1e-3 * 1e6, `arrival ${k} at ${t} ns`));
    }),
  );
});

test('arrival-shape flags: bad combinations exit 2 naming the flag', async () => {
  const base = cli`benchmark online --endpoints http://127.0.0.1:1 --model m --dry-run`;
  const cases: [string[], RegExp][] = [
    [['--concurrency', '4', '--burstiness', '0.5'], /--burstiness: only for load pattern poisson/],
    [['--load-pattern', 'constant'], /--target-qps: required for load pattern constant/],
    [['--target-qps', '5', '--trace', 'x.txt'], /--target-qps: not with a trace/],
    [['--load-pattern', 'poisson', '--target-qps', '5', '--trace', 'x.txt'], /--trace: only for load pattern trace/],
    [['--load-pattern', 'trace'], /--trace: required for load pattern trace/],
    [['--target-qps', '5', '--time-scale', '2'], /--time-scale: only with --trace/],
    [['--target-qps', '5', '--burstiness', '0'], /--burstiness/],
    [['--target-qps', '5', '--ramp-up', 'soon'], /--ramp-up: "soon" is not a duration/],
  ];
  const results = await runInProcess(cases.map(([args]) => [...base, ...args]));
  results.forEach((res, i) => {
    assert.equal(res.code, 2, `${cases[i][0].join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, cases[i][1]);
  });
});
