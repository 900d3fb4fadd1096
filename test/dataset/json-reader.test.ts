import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readJsonDataset } from '../../src/dataset/json-reader.js';
import { badInput } from './bad-input.js';
import { makeTempFiles, type TempFiles } from './temp-files.js';

let files: TempFiles;
before(async () => {
  files = await makeTempFiles();
});
after(async () => {
  await files.cleanup();
});

test('reads a top-level array of rows (pretty-printed, with a BOM)', async () => {
  const rows = [{ prompt: 'a' }, { user_prompt: 'b', output_len: 3 }, { messages: [{ role: 'user', content: 'c' }] }];
  const path = await files.write('rows.json', '\uFEFF' + JSON.stringify(rows, null, 2));
  assert.deepEqual(await readJsonDataset(path), [
    { prompt: 'a' },
    { prompt: 'b', maxOutputTokens: 3 },
    { prompt: 'c', messages: [{ role: 'user', content: 'c' }] },
  ]);
});

test('row errors name file[index]', async () => {
  const path = await files.write('bad-row.json', JSON.stringify([{ prompt: 'a' }, { prompt: 'b' }, { body: 'c' }]));
  await assert.rejects(
    readJsonDataset(path),
    badInput('dataset_no_prompt_column', /bad-row\.json\[2\]: /, /keys: 'body'/),
  );
});

test('invalid JSON, a non-array and an empty array are rejected', async () => {
  const invalid = await files.write('lines.json', '{"prompt":"a"}\n{"prompt":"b"}\n');
  await assert.rejects(
    readJsonDataset(invalid),
    badInput('dataset_invalid_json', /lines\.json: invalid JSON/, /\.jsonl extension/),
  );
  const object = await files.write('object.json', '{"data": []}');
  await assert.rejects(readJsonDataset(object), badInput('dataset_json_not_array', /got an object/));
  const empty = await files.write('empty.json', ' [ ] ');
  await assert.rejects(readJsonDataset(empty), badInput('dataset_empty'));
});

test('a missing file is dataset_not_found', async () => {
  await assert.rejects(readJsonDataset(join(files.dir, 'nope.json')), badInput('dataset_not_found', /nope\.json/));
});
