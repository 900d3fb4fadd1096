import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
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
    const path = await files.write(name, line);
    assert.deepEqual(await loadDataset(path, options), { samples: [{ prompt: 'x' }], source: path });
  }
  const json = await files.write('d.json', '[{"prompt":"y"}]');
  assert.deepEqual(await loadDataset(json, options), { samples: [{ prompt: 'y' }], source: json });
});

test('an unsupported extension lists the supported ones', async () => {
  for (const name of ['data.csv', 'data']) {
    const path = await files.write(name, 'prompt\nx\n');
    await assert.rejects(
      loadDataset(path, options),
      badInput('dataset_format_unsupported', /\.jsonl/, /\.ndjson/, /\.json /),
    );
  }
});

test('no path gives the synthetic dataset', async () => {
  const loaded = await loadDataset(undefined, options);
  assert.equal(loaded.source, 'synthetic');
  assert.deepEqual(loaded.samples, syntheticDataset({ count: 5, seed: 42 }));
});
