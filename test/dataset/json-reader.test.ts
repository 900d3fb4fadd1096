import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { jsonRows } from '../../src/dataset/json-reader.js';
import { readAll } from './read-all.js';
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
  assert.deepEqual(await readAll(path, jsonRows), [
    { prompt: 'a' },
    { prompt: 'b', maxOutputTokens: 3 },
    { prompt: 'c', messages: [{ role: 'user', content: 'c' }] },
  ]);
});

test('row errors name file[index]', async () => {
  const path = await files.write('bad-row.json', JSON.stringify([{ prompt: 'a' }, { prompt: 'b' }, { body: 'c' }]));
  await assert.rejects(
    readAll(path, jsonRows),
    badInput('dataset_no_prompt_column', /bad-row\.json\[2\]: /, /keys: 'body'/),
  );
});

test('invalid JSON, a non-array and an empty array are rejected', async () => {
  const invalid = await files.write('lines.json', '{"prompt":"a"}\n{"prompt":"b"}\n');
  await assert.rejects(
    readAll(invalid, jsonRows),
    badInput('dataset_invalid_json', /lines\.json: invalid JSON/, /\.jsonl extension/),
  );
  const object = await files.write('object.json', '{"data": []}');
  await assert.rejects(readAll(object, jsonRows), badInput('dataset_json_not_array', /got an object/));
  const empty = await files.write('empty.json', ' [ ] ');
  await assert.rejects(readAll(empty, jsonRows), badInput('dataset_empty'));
});

test('a missing file is dataset_not_found', async () => {
  await assert.rejects(readAll(join(files.dir, 'nope.json'), jsonRows), badInput('dataset_not_found', /nope\.json/));
});
