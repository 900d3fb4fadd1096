/**
 * YAML configs end to end, the real CLI as a child process against real servers on 127.0.0.1:
 * MLPerf Endpoints' own templates and our `init` output run against the mock endpoint; config.yaml
 * reproduces a run; bad configs exit 2 with file:line; validate, info, --dry-run without an
 * endpoint; MLPerf semantics of --seed, --max-output-tokens, --api-type and --dataset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import { closedPort, describeResult, readJson, runCli, assertExit, withMock, withTemp, cli } from './cli-process.js';
import { REPORT_FILES } from '../../src/report/report-files.js';

/** A fast mock: the config tests are about the files, not the timing. */
const MOCK = { ttftMs: 2, itlMs: 1, outputTokens: 4 };

/** MLPerf Endpoints' templates (config/templates/ in mlcommons/endpoints) and its dummy dataset. */
const MLPERF_DIR =
  process.env.MLPERF_TEMPLATES_DIR ??
  // The steering repo's shared/ sits beside the checkout (CI lays a copy there too).
  [path.resolve(fileURLToPath(import.meta.url), '../../../../shared/mlperf'), '/work/shared/mlperf'].find((d) =>
    existsSync(d),
  ) ??
  '../shared/mlperf';
const MLPERF_TEMPLATES = ['offline_template.yaml', 'online_template.yaml', 'concurrency_template.yaml'];

test(
  "MLPerf Endpoints' templates validate and run end to end against the mock",
  {
    timeout: 120_000,
    skip: existsSync(MLPERF_DIR) ? false : `no templates at ${MLPERF_DIR} (set MLPERF_TEMPLATES_DIR)`,
  },
  async () => {
    await withMock(MOCK, (mock) =>
      withTemp(async ({ dir }) => {
        for (const name of MLPERF_TEMPLATES) {
          const original = path.join(MLPERF_DIR, name);
          const v = await runCli(['validate', '-c', original]);
          assertExit(v, 0);
          assert.match(v.stdout, /valid/);
          // The template's placeholders: the dataset path is replaced, the endpoint given as a flag.
          const text = (await readFile(original, 'utf8')).replace(
            /'<DATASET_PATH[^']*'/,
            path.join(MLPERF_DIR, 'dummy_1k.jsonl'),
          );
          const file = path.join(dir, name);
          await writeFile(file, text);
          const reportDir = path.join(dir, `report-${name}`);
          const r = await runCli(cli`
            benchmark from-config -c ${file} --endpoints ${mock.url} --num-samples 20 --max-output-tokens 4
            --workers 1 --max-connections 64 --report-dir ${reportDir}
          `);
          assertExit(r, 0);
          // max_duration_ms (0 in every template: no limit) is --max-duration now, so it is not listed;
          // the offline template's min_duration_ms still is.
          assert.doesNotMatch(r.stderr, /max_duration_ms/);
          if (name.startsWith('offline'))
            assert.match(r.stderr, /min_duration_ms \(line \d+; not used in offline runs\)/);
          const summary = await readJson<ResultSummary>(path.join(reportDir, REPORT_FILES.summary));
          assert.equal(summary.n_samples_completed, 20, name);
          assert.equal(summary.n_samples_failed, 0, name);
        }
      }),
    );
  },
);

test(
  'init templates (offline, online, concurrency) run end to end against the mock',
  { timeout: 120_000 },
  async () => {
    await withMock(MOCK, (mock) =>
      withTemp(async ({ dir }) => {
        for (const kind of ['offline', 'online', 'concurrency']) {
          const file = path.join(dir, `${kind}.yaml`);
          assertExit(await runCli(['init', kind, '--output', file]), 0);
          const again = await runCli(['init', kind, '--output', file]);
          assertExit(again, 2);
          assert.match(again.stderr, /the file exists/);
          const reportDir = path.join(dir, `report-${kind}`);
          const r = await runCli(
            cli`
              benchmark from-config -c ${file} --num-samples 10 --max-output-tokens 4 --workers 1
              ${
                // report_dir is null in the template; the flag keeps the report in the temp dir.
                '--report-dir'
              }
              ${reportDir}
            `,
            { env: { MODEL_NAME: 'm', ENDPOINT_URL: mock.url } },
          );
          assertExit(r, 0);
          assert.doesNotMatch(r.stderr, /not used by llm-loadgen/, `${kind}: the template holds only keys we use`);
          const summary = await readJson<ResultSummary>(path.join(reportDir, REPORT_FILES.summary));
          assert.equal(summary.n_samples_completed, 10, kind);
        }
        const missing = await runCli(['validate', '-c', path.join(dir, 'online.yaml')]);
        assertExit(missing, 2);
        assert.match(
          missing.stderr,
          /online\.yaml:\d+: model_params\.name: environment variable MODEL_NAME is not set/,
        );
      }),
    );
  },
);

test(
  'config.yaml of a run is a from-config input that reproduces it (secrets not written)',
  { timeout: 60_000 },
  async () => {
    await withMock(MOCK, (mock) =>
      withTemp(async ({ dir }) => {
        const dataset = path.join(dir, 'd.jsonl');
        await writeFile(dataset, ['{"q":"one two"}', '{"q":"three"}', '{"q":"four"}'].join('\n') + '\n');
        const first = path.join(dir, 'first');
        const r1 = await runCli(
          cli`
            benchmark online --endpoints ${mock.url} --model m --target-concurrency 2 --num-samples 6
            --num-workers 1 --dataset ${`perf:${dataset},parser.prompt=q,samples=2`} --seed 5 --max-output-tokens
            3 --report-dir ${first}
          `,
          { env: { OPENAI_API_KEY: 'sk-round-trip-secret' } },
        );
        assertExit(r1, 0);
        const config1 = await readFile(path.join(first, 'config.yaml'), 'utf8');
        assert.ok(!config1.includes('sk-round-trip-secret'), config1);
        const second = path.join(dir, 'second');
        const r2 = await runCli(
          cli`benchmark from-config -c ${path.join(first, 'config.yaml')} --report-dir ${second}`,
          {
            env: { OPENAI_API_KEY: 'sk-round-trip-secret' },
          },
        );
        assertExit(r2, 0);
        assert.doesNotMatch(r2.stderr, /not used by llm-loadgen/);
        assert.equal(await readFile(path.join(second, 'config.yaml'), 'utf8'), config1);
        const [s1, s2] = await Promise.all([
          readJson<ResultSummary>(path.join(first, REPORT_FILES.summary)),
          readJson<ResultSummary>(path.join(second, REPORT_FILES.summary)),
        ]);
        assert.equal(s2.n_samples_completed, s1.n_samples_completed);
        assert.equal(s2.n_samples_completed, 6);
        assert.deepEqual(s2.input_sequence_lengths, s1.input_sequence_lengths);
      }),
    );
  },
);

test('bad configs exit 2 with file:line and key path: unknown key, wrong type, missing ${VAR}, YAML syntax', async () => {
  await withTemp(async ({ dir }) => {
    const good = [
      'type: online',
      'model_params:',
      '  name: m',
      'settings:',
      '  load_pattern:',
      '    type: poisson',
      '    target_qps: 5',
      'endpoint_config:',
      '  endpoints: [http://127.0.0.1:1]',
    ].join('\n');
    const cases = [
      {
        text: good.replace('target_qps', 'target_qsp'),
        stderr: /:7: settings\.load_pattern\.target_qsp: unknown key\. Did you mean target_qps\?/,
      },
      {
        text: good.replace('target_qps: 5', 'target_qps: lots'),
        stderr: /:7: settings\.load_pattern\.target_qps: .*expected number/,
      },
      {
        text: good.replace('name: m', 'name: ${UNSET_MODEL_VAR}'),
        stderr: /:3: model_params\.name: environment variable UNSET_MODEL_VAR is not set/,
      },
      { text: good.replace('type: poisson', 'type: [poisson'), stderr: /:\d+: YAML syntax error/ },
    ];
    for (const [i, c] of cases.entries()) {
      const file = path.join(dir, `bad${i}.yaml`);
      await writeFile(file, c.text);
      for (const args of [
        ['validate', '-c', file],
        ['benchmark', 'from-config', '-c', file],
      ]) {
        const r = await runCli(args);
        assertExit(r, 2);
        assert.match(
          r.stderr,
          new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${c.stderr.source}`),
          describeResult(r),
        );
      }
    }
    const noFile = await runCli(['validate', '-c', path.join(dir, 'nope.yaml')]);
    assertExit(noFile, 2);
    assert.match(noFile.stderr, /nope\.yaml: cannot read the config file \(ENOENT\)/);
  });
});

test('validate prints the resolved settings; flags given with -c override the file', async () => {
  await withTemp(async ({ dir }) => {
    const file = path.join(dir, 'run.yaml');
    const text =
      'type: online\nmodel_params: {name: m}\nsettings: {load_pattern: {type: poisson, target_qps: 5}}\nendpoint_config: {endpoints: ["http://u:pw@127.0.0.1:1"]}\n';
    await writeFile(file, text);
    const r = await runCli([
      'validate',
      '-c',
      file,
      '--target-qps',
      '7',
      '--duration',
      '1500',
      '--client.max-connections',
      '9',
    ]);
    assertExit(r, 0);
    assert.match(r.stdout, /target_qps: 7\n/);
    assert.match(r.stdout, /min_duration_ms: 1500\n/);
    assert.match(r.stdout, /max_connections: 9\n/);
    assert.match(r.stdout, /max_new_tokens: 1024\n/);
    assert.ok(!r.stdout.includes('pw'), 'URL credentials are not printed');
  });
});

test('info prints version, Node, OS, CPUs, port range, open-files limit and the native addon', async () => {
  const r = await runCli(['info']);
  assertExit(r, 0);
  for (const field of ['llm-loadgen', 'node ', 'os ', 'cpus ', 'port range ', 'open-files limit ', 'native addon ']) {
    assert.ok(r.stdout.includes(field), `${field}\n${r.stdout}`);
  }
  assert.ok(r.stdout.includes(process.version));
});

test('--dry-run needs no live endpoint: it plans against a closed port and says the endpoint was not checked', async () => {
  const port = await closedPort();
  const r = await runCli(cli`
    benchmark online --endpoints ${`http://127.0.0.1:${port}`} --model m --target-concurrency 3 --duration 1000
    --dry-run
  `);
  assertExit(r, 0);
  assert.match(r.stdout, /concurrency 3/);
  assert.match(r.stdout, /; 1 s\n/, 'a bare --duration 1000 is 1,000 ms');
  assert.match(r.stdout, /not checked/);
});

interface SeenRequest {
  url: string;
  body: Record<string, unknown>;
}

/** A plain node:http endpoint that keeps every request body (non-streaming answers only). */
async function bodyRecordingServer(): Promise<{ url: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[]}');
        return;
      }
      seen.push({
        url: req.url ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
      const choice = req.url?.endsWith('/chat/completions')
        ? { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }
        : { index: 0, text: 'ok', finish_reason: 'stop' };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [choice], usage }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

test(
  '--seed and --temperature are sent in every request; max_tokens defaults to 1024; parser columns; --api-type openai_completions',
  { timeout: 60_000 },
  async () => {
    const server = await bodyRecordingServer();
    try {
      await withTemp(async ({ dir }) => {
        const dataset = path.join(dir, 'd.jsonl');
        await writeFile(dataset, '{"question":"hello","sys":"be brief"}\n{"question":"again","sys":"be brief"}\n');
        const common = ['--endpoints', server.url, '--model', 'm', '--workers', '1'];
        const r = await runCli([
          'benchmark',
          'offline',
          ...common,
          '--seed',
          '11',
          '--temperature',
          '0',
          '--dataset',
          `${dataset},parser.prompt=question,parser.system=sys`,
          '--report-dir',
          path.join(dir, 'r1'),
        ]);
        assertExit(r, 0);
        assert.equal(server.seen.length, 2);
        for (const { url, body } of server.seen) {
          assert.equal(url, '/v1/chat/completions');
          assert.equal(body.seed, 11);
          assert.equal(body.temperature, 0);
          assert.equal(body.max_tokens, 1024);
          assert.deepEqual(
            (body.messages as { role: string }[]).map((m) => m.role),
            ['system', 'user'],
          );
        }
        server.seen.length = 0;
        const c = await runCli([
          'benchmark',
          'offline',
          ...common,
          '--api-type',
          'openai_completions',
          '--num-samples',
          '1',
          '--report-dir',
          path.join(dir, 'r2'),
        ]);
        assertExit(c, 0);
        assert.equal(server.seen[0]?.url, '/v1/completions');
        assert.ok(!('seed' in server.seen[0].body), 'no --seed: the server chooses');
      });
    } finally {
      await server.close();
    }
  },
);

test('--dataset: a missing acc: file and a second performance dataset exit 2 saying why', async () => {
  const common = cli`benchmark offline --endpoints http://127.0.0.1:1 --model m --dry-run`;
  const acc = await runCli([...common, '--dataset', 'acc:eval.jsonl']);
  assertExit(acc, 2);
  assert.match(acc.stderr, /eval\.jsonl/);
  const two = await runCli([...common, '--dataset', 'a.jsonl', '--dataset', 'b.jsonl']);
  assertExit(two, 2);
  assert.match(two.stderr, /--dataset \(#2\): 2 performance datasets given/);
  const typo = await runCli([...common, '--dataset', 'a.jsonl,sample=3']);
  assertExit(typo, 2);
  assert.match(typo.stderr, /did you mean samples\?/);
});
