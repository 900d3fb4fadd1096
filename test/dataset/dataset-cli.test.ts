/**
 * Datasets, warmup and request shaping end to end: `llm-loadgen benchmark` against the mock (and a
 * body-recording server where the test must see what was sent), with ShareGPT, Parquet, CSV and
 * save_to_disk datasets made in the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { vectorFromArray, Utf8 } from 'apache-arrow';
import { REPORT_FILES } from '../../src/report/report-files.js';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import type { WorkloadSummary } from '../../src/run/workload-summary.js';
import {
  assertExit,
  describeResult,
  readJson,
  runCli,
  startRecordingServer,
  withMock,
  withTemp,
} from '../cli/cli-process.js';
import { SHARD_READ_BYTES } from '../../src/dataset/shard-dataset.js';
import { conversationsVector, writeParquet, writeSaveToDisk } from './dataset-fixtures.js';

const MOCK = { ttftMs: 2, itlMs: 1, outputTokens: 4 };
type Summary = ResultSummary & WorkloadSummary;

function offline(url: string, dir: string, ...args: string[]): string[] {
  return ['benchmark', 'offline', '--endpoints', url, '--model', 'm', '--workers', '2', '--report-dir', dir, ...args];
}

test(
  'ShareGPT, Parquet, CSV and save_to_disk datasets each run end to end against the mock',
  { timeout: 120_000 },
  async () => {
    await withMock(MOCK, (mock) =>
      withTemp(async ({ dir }) => {
        const sharegpt = path.join(dir, 'sharegpt.json');
        await writeFile(
          sharegpt,
          JSON.stringify(
            Array.from({ length: 6 }, (_, i) => ({
              id: String(i),
              conversations: [
                { from: 'human', value: `question ${i}` },
                { from: 'gpt', value: `answer ${i}` },
              ],
            })),
          ),
        );
        const parquet = await writeParquet(
          path.join(dir, 'data.parquet'),
          "SELECT 'q ' || i AS question, 'not this' AS text_input, 4::BIGINT AS max_tokens FROM range(7) t(i)",
          3,
        );
        const csv = path.join(dir, 'data.csv');
        await writeFile(csv, 'id,prompt\n' + Array.from({ length: 5 }, (_, i) => `${i},"prompt, ${i}"`).join('\n'));
        const hf = await writeSaveToDisk(
          path.join(dir, 'hf'),
          {
            conversations: ([from, to]) =>
              conversationsVector(
                Array.from({ length: to - from }, (_, k) => [
                  { from: 'system', value: 'sys' },
                  { from: 'human', value: `hf ${from + k}` },
                ]),
              ),
          },
          8,
          2,
        );
        const cases: [string, number, string][] = [
          [sharegpt, 6, "'conversations' (6 rows)"],
          [parquet, 7, "'question' (7 rows)"],
          [csv, 5, "'prompt' (5 rows)"],
          [hf, 8, "'conversations' (8 rows)"],
        ];
        for (const [dataset, rows, column] of cases) {
          const report = path.join(dir, `report-${path.basename(dataset)}`);
          const r = await runCli(offline(mock.url, report, '--dataset', dataset));
          assertExit(r, 0);
          assert.ok(r.stderr.includes(`dataset: ${dataset}: prompts from column ${column}`), describeResult(r));
          const s = await readJson<Summary>(path.join(report, REPORT_FILES.summary));
          assert.equal(s.n_samples_completed, rows, describeResult(r));
          assert.equal(s.n_samples_failed, 0);
          assert.equal(s.warmup, null);
          assert.equal(s.dataset_rows_skipped, 0);
        }
      }),
    );
  },
);

test('the prompts sent are the dataset rows, in the format each reader reads', { timeout: 60_000 }, async () => {
  const server = await startRecordingServer();
  try {
    await withTemp(async ({ dir }) => {
      const hf = await writeSaveToDisk(
        path.join(dir, 'hf'),
        {
          question: ([from, to]) =>
            vectorFromArray(
              Array.from({ length: to - from }, (_, k) => `hf ${from + k}`),
              new Utf8(),
            ),
        },
        4,
        2,
      );
      const r = await runCli(offline(server.url, path.join(dir, 'r'), '--dataset', hf, '--workers', '1'));
      assertExit(r, 0);
      const sent = server.bodies
        .filter((b) => b !== '')
        .map((b) => (JSON.parse(b) as { messages: { content: string }[] }).messages[0].content)
        .sort();
      assert.deepEqual(sent, ['hf 0', 'hf 1', 'hf 2', 'hf 3']);
    });
  } finally {
    await server.close();
  }
});

test('a bad row exits 2 naming file:line; --skip-bad-rows skips it and counts it', { timeout: 60_000 }, async () => {
  await withMock(MOCK, (mock) =>
    withTemp(async ({ dir }) => {
      const file = path.join(dir, 'bad.jsonl');
      await writeFile(file, '{"prompt":"a"}\n{"prompt":\n{"text":"no prompt"}\n{"prompt":"d"}\n');
      const bad = await runCli(offline(mock.url, path.join(dir, 'r1'), '--dataset', file));
      assertExit(bad, 2);
      assert.match(bad.stderr, /bad\.jsonl:2: invalid JSON/);
      const skip = await runCli(offline(mock.url, path.join(dir, 'r2'), '--dataset', file, '--skip-bad-rows'));
      assertExit(skip, 0);
      assert.match(skip.stderr, /skipped 2 bad rows \(--skip-bad-rows\); the first: .*bad\.jsonl:2: .*bad\.jsonl:3: /);
      const s = await readJson<Summary>(path.join(dir, 'r2', REPORT_FILES.summary));
      assert.equal(s.dataset_rows_skipped, 2);
      assert.equal(s.n_samples_completed, 2);
    }),
  );
});

test(
  'a dataset past SHARD_READ_BYTES is read by the shards (with a bad row skipped and a salted warmup)',
  { timeout: 120_000 },
  async () => {
    await withMock(MOCK, (mock) =>
      withTemp(async ({ dir }) => {
        const file = path.join(dir, 'big.jsonl');
        const filler = 'x'.repeat(2000);
        const rows = Math.ceil(SHARD_READ_BYTES / 2000) + 100;
        const lines = Array.from({ length: rows }, (_, i) =>
          i === 3 ? '{"broken":' : `{"question":"${i} ${filler}"}`,
        );
        await writeFile(file, lines.join('\n') + '\n');
        const report = path.join(dir, 'r');
        const r = await runCli(
          offline(
            mock.url,
            report,
            '--dataset',
            file,
            '--skip-bad-rows',
            '--num-samples',
            '40',
            '--warmup-requests',
            '4',
            '--warmup-salt',
          ),
          { timeoutMs: 100_000 },
        );
        assertExit(r, 0);
        assert.match(r.stderr, /skipped 1 bad row \(--skip-bad-rows\)/);
        assert.match(r.stderr, new RegExp(`dataset: ${rows - 1} rows checked; each shard reads the file`));
        const s = await readJson<Summary>(path.join(report, REPORT_FILES.summary));
        assert.equal(s.n_samples_completed, 40, describeResult(r));
        assert.equal(s.dataset_rows_skipped, 1);
        assert.equal(s.warmup?.requests, 4);
      }),
    );
  },
);
