import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/dataset/load-dataset.js';
import { syntheticDataset } from '../../src/dataset/synthetic-dataset.js';
import { badInput } from './bad-input.js';
import { makeTempFiles, type TempFiles } from './temp-files.js';

let files: TempFiles;
before(async () => {
  files = await makeTempFiles();
});
after(async () => {
  await files.cleanup();
});

const options = { syntheticCount: 5, seed: 42 };

test('picks the reader by extension (case-insensitive)', async () => {
  const line = '{"prompt":"x"}\n';
  for (const name of ['a.jsonl', 'b.ndjson', 'c.JSONL']) {
    const file = await files.write(name, line);
    const loaded = await loadDataset(file, options);
    assert.deepEqual([loaded.samples, loaded.source], [[{ prompt: 'x' }], file]);
  }
  const json = await files.write('d.json', '[{"prompt":"y"}]');
  const loaded = await loadDataset(json, options);
  assert.deepEqual([loaded.samples, loaded.source], [[{ prompt: 'y' }], json]);
});

test('an unsupported extension lists the supported ones', async () => {
  for (const name of ['data.tsv', 'data']) {
    const file = await files.write(name, 'prompt\nx\n');
    await assert.rejects(
      loadDataset(file, options),
      badInput('dataset_format_unsupported', /\.jsonl/, /\.ndjson/, /\.json /),
    );
  }
});

test('no path gives the synthetic dataset', async () => {
  const loaded = await loadDataset(undefined, options);
  assert.equal(loaded.source, 'synthetic');
  assert.deepEqual(loaded.samples, syntheticDataset({ count: 5, seed: 42 }));
});

/** MLPerf Endpoints' dummy dataset (shared/mlperf beside the checkout, as test/cli/config-cli.test.ts finds it). */
const MLPERF_DIR =
  process.env.MLPERF_TEMPLATES_DIR ??
  [path.resolve(fileURLToPath(import.meta.url), '../../../../shared/mlperf'), '/work/shared/mlperf'].find((d) =>
    existsSync(d),
  ) ??
  '../shared/mlperf';
const DUMMY = path.join(MLPERF_DIR, 'dummy_1k.jsonl');

test(
  "rows shaped like MLPerf Endpoints' datasets send `question`, not `text_input`, and say which column",
  { skip: existsSync(DUMMY) ? false : `no ${DUMMY} (set MLPERF_TEMPLATES_DIR)` },
  async () => {
    // dummy_1k.jsonl has text_input and ref_output; ds_samples.jsonl adds question (and more) beside text_input.
    const rows = (await readFile(DUMMY, 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(0, 20)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(rows.every((r) => typeof r.text_input === 'string'));
    const withQuestion = rows.map((r, i) => ({ ...r, question: `question ${i}` }));
    const file = await files.write('ds_samples_shape.jsonl', withQuestion.map((r) => JSON.stringify(r)).join('\n'));
    const loaded = await loadDataset(file, { ...options, shuffle: false });
    assert.deepEqual(
      loaded.samples.map((s) => s.prompt),
      withQuestion.map((r) => r.question),
    );
    assert.deepEqual([...loaded.promptColumns!], [['question', 20]]);
    // The dummy file as it is (text_input only) still runs, from text_input.
    const plain = await loadDataset(DUMMY, { ...options, shuffle: false });
    assert.equal(plain.samples.length, 1000);
    assert.deepEqual([...plain.promptColumns!], [['text_input', 1000]]);
  },
);
