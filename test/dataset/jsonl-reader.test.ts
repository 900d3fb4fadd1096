import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { jsonlRows } from '../../src/dataset/jsonl-reader.js';
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

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('reads one sample per line, in order, with mixed columns', async () => {
  const path = await files.write(
    'mixed.jsonl',
    [
      JSON.stringify({ prompt: 'a', max_tokens: 10 }),
      JSON.stringify({ question: 'b' }),
      JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'text', text: 'c' }] }] }),
    ].join('\n') + '\n',
  );
  assert.deepEqual(await readAll(path, jsonlRows), [
    { prompt: 'a', maxOutputTokens: 10 },
    { prompt: 'b' },
    { prompt: 'c', messages: [{ role: 'user', content: 'c' }] },
  ]);
});

test('blank lines are skipped but still counted for line numbers', async () => {
  const path = await files.write('blank.jsonl', '\n{"prompt":"a"}\n   \n\n{"prompt":"b"}\n\n{oops}\n');
  await assert.rejects(
    readAll(path, jsonlRows),
    badInput(
      'dataset_invalid_json',
      new RegExp(`^${escape(path)}:7: invalid JSON \\(`),
      /Each line must be one JSON object\./,
    ),
  );
  const good = await files.write('blank-good.jsonl', '\n{"prompt":"a"}\n \t \n{"prompt":"b"}\n\n');
  assert.deepEqual(await readAll(good, jsonlRows), [{ prompt: 'a' }, { prompt: 'b' }]);
});

test('CRLF line endings, a BOM and a missing final newline are handled', async () => {
  const path = await files.write('crlf.jsonl', '\uFEFF{"prompt":"a"}\r\n\r\n{"prompt":"b\\r"}\r\n{"input":"c"}');
  assert.deepEqual(await readAll(path, jsonlRows), [{ prompt: 'a' }, { prompt: 'b\r' }, { prompt: 'c' }]);
});

test('long files stream across chunk boundaries', async () => {
  const rows = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ prompt: `row ${i} ${'x'.repeat(i % 50)}` }));
  const path = await files.write('long.jsonl', rows.join('\n'));
  const samples = await readAll(path, jsonlRows);
  assert.equal(samples.length, 5000);
  assert.equal(samples[4321].prompt, `row 4321 ${'x'.repeat(4321 % 50)}`);
});

test('invalid JSON names file:line and the parser reason', async () => {
  const path = await files.write('bad.jsonl', '{"prompt":"a"}\n{"prompt": nope}\n');
  await assert.rejects(
    readAll(path, jsonlRows),
    badInput('dataset_invalid_json', new RegExp(`^${escape(path)}:2: invalid JSON \\(.+\\)\\. Each line`)),
  );
});

test('a pretty-printed JSON array hints at the .json extension', async () => {
  const path = await files.write('array.jsonl', '[\n  {"prompt": "a"}\n]\n');
  await assert.rejects(readAll(path, jsonlRows), badInput('dataset_invalid_json', /:1: /, /\.json extension/));
});

test('a row without a prompt column names the line and its keys', async () => {
  const path = await files.write('nocol.jsonl', '{"prompt":"a"}\n\n{"text":"b","label":1}\n');
  await assert.rejects(
    readAll(path, jsonlRows),
    badInput('dataset_no_prompt_column', new RegExp(`^${escape(path)}:3: `), /keys: 'text', 'label'/),
  );
});

test('a non-string prompt names file:line and the column', async () => {
  const path = await files.write('nonstring.jsonl', '{"text_input":["a"]}\n');
  await assert.rejects(
    readAll(path, jsonlRows),
    badInput('dataset_invalid_prompt', new RegExp(`^${escape(path)}:1: column 'text_input' must be a string`)),
  );
});

test('a missing file is dataset_not_found naming the path', async () => {
  const path = join(files.dir, 'missing.jsonl');
  await assert.rejects(
    readAll(path, jsonlRows),
    badInput('dataset_not_found', new RegExp(`^${escape(path)}: dataset file not found`)),
  );
});

test('a directory is dataset_unreadable', async () => {
  await assert.rejects(readAll(files.dir, jsonlRows), badInput('dataset_unreadable', /is a directory/));
});

test('an empty or blank-only file is dataset_empty', async () => {
  const empty = await files.write('empty.jsonl', '');
  await assert.rejects(readAll(empty, jsonlRows), badInput('dataset_empty', new RegExp(`^${escape(empty)}: `)));
  const blank = await files.write('blank-only.jsonl', '\n  \r\n\n');
  await assert.rejects(readAll(blank, jsonlRows), badInput('dataset_empty'));
});
