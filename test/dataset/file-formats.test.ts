/**
 * CSV, Parquet, Hugging Face save_to_disk and ShareGPT datasets, each made in the test with the
 * library that writes that format for real, read through loadDataset as a run reads them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Int64, vectorFromArray } from 'apache-arrow';
import { loadDataset } from '../../src/dataset/load-dataset.js';
import { badInput } from './bad-input.js';
import { conversationsVector, strings, writeParquet, writeSaveToDisk } from './dataset-fixtures.js';
import { makeTempFiles, type TempFiles } from './temp-files.js';

let files: TempFiles;
before(async () => {
  files = await makeTempFiles();
});
after(async () => {
  await files.cleanup();
});

const options = { syntheticCount: 5, seed: 42 };
const prompts = (samples: { prompt: string }[]) => samples.map((s) => s.prompt);

test('CSV: a header row, quoted cells with commas, quotes and newlines, a BOM, digits as output caps', async () => {
  const path = await files.write(
    'data.csv',
    '\uFEFFid,question,max_tokens\r\n1,"Hello, ""world""",12\r\n2,"two\nlines",\r\n3,plain,7\r\n',
  );
  const loaded = await loadDataset(path, options);
  assert.deepEqual(loaded.samples.length, 3);
  const byPrompt = new Map(loaded.samples.map((s) => [s.prompt, s]));
  assert.deepEqual(byPrompt.get('Hello, "world"'), { prompt: 'Hello, "world"', maxOutputTokens: 12 });
  assert.deepEqual(byPrompt.get('two\nlines'), { prompt: 'two\nlines' });
  assert.deepEqual(byPrompt.get('plain'), { prompt: 'plain', maxOutputTokens: 7 });
  assert.deepEqual([...loaded.promptColumns!], [['question', 3]]);
});

test('CSV: parser.prompt names the column; a wrong cell count names file:line', async () => {
  const path = await files.write('map.csv', 'article,sys\nA,S\nB,T\n');
  const loaded = await loadDataset(path, { ...options, shuffle: false, columns: { prompt: 'article', system: 'sys' } });
  assert.deepEqual(loaded.samples[1], {
    prompt: 'B',
    messages: [
      { role: 'system', content: 'T' },
      { role: 'user', content: 'B' },
    ],
  });
  const bad = await files.write('bad.csv', 'prompt,x\na,1\nb,2,3\n');
  await assert.rejects(loadDataset(bad, options), badInput('dataset_malformed_file', /bad\.csv:3: /));
  const unclosed = await files.write('unclosed.csv', 'prompt\n"never closed\n');
  await assert.rejects(loadDataset(unclosed, options), badInput('dataset_malformed_file', /unclosed\.csv/));
});

test('Parquet (written by DuckDB, three row groups): every row in order, int64 output caps, row index in errors', async () => {
  const path = await writeParquet(
    join(files.dir, 'data.parquet'),
    "SELECT 'question ' || i AS question, 'ignored ' || i AS text_input, (i + 1)::BIGINT AS max_tokens FROM range(5) t(i)",
    2,
  );
  const loaded = await loadDataset(path, { ...options, shuffle: false });
  assert.deepEqual(prompts(loaded.samples), ['question 0', 'question 1', 'question 2', 'question 3', 'question 4']);
  assert.deepEqual(
    loaded.samples.map((s) => s.maxOutputTokens),
    [1, 2, 3, 4, 5],
  );
  const limited = await loadDataset(path, { ...options, shuffle: false, limit: 3 });
  assert.deepEqual(prompts(limited.samples), ['question 0', 'question 1', 'question 2']);

  const bad = await writeParquet(
    join(files.dir, 'bad.parquet'),
    "SELECT CASE WHEN i = 3 THEN NULL ELSE 'p' || i END AS prompt FROM range(5) t(i)",
    2,
  );
  await assert.rejects(loadDataset(bad, options), badInput('dataset_invalid_prompt', /bad\.parquet: row 3: /));
  const notParquet = await files.write('fake.parquet', 'not parquet at all');
  await assert.rejects(loadDataset(notParquet, options), badInput('dataset_malformed_file', /fake\.parquet/));
});

test('save_to_disk directory: Arrow stream files in state.json order, found by its files alone', async () => {
  const dir = await writeSaveToDisk(
    join(files.dir, 'hf'),
    {
      question: strings((i) => `q${i}`),
      output_len: ([from, to]) =>
        vectorFromArray(
          Array.from({ length: to - from }, (_, k) => BigInt(from + k + 10)),
          new Int64(),
        ),
    },
    7,
    3,
  );
  const loaded = await loadDataset(dir, { ...options, shuffle: false });
  assert.deepEqual(prompts(loaded.samples), ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6']);
  assert.equal(loaded.samples[6].maxOutputTokens, 16);
  const named = await loadDataset(dir, { ...options, shuffle: false, format: 'huggingface', limit: 2 });
  assert.deepEqual(prompts(named.samples), ['q0', 'q1']);

  const bad = await writeSaveToDisk(join(files.dir, 'hf-bad'), { text: strings((i) => `t${i}`) }, 2);
  await assert.rejects(
    loadDataset(bad, options),
    badInput('dataset_no_prompt_column', /hf-bad\/data-00000-of-00001\.arrow: row 0: /),
  );
  await assert.rejects(loadDataset(files.dir, options), badInput('dataset_unreadable', /state\.json/));
});

test('ShareGPT: the first human turn is the prompt, a system turn the system prompt, the rest kept as turns', async () => {
  const rows = [
    {
      id: 'a',
      conversations: [
        { from: 'system', value: 'Be brief.' },
        { from: 'human', value: 'first question' },
        { from: 'gpt', value: 'first answer' },
        { from: 'human', value: 'second question' },
        { from: 'gpt', value: 'second answer' },
      ],
    },
    { id: 'b', conversations: [{ from: 'human', value: 'only' }] },
  ];
  const json = await files.write('sharegpt.json', JSON.stringify(rows));
  const jsonl = await files.write('sharegpt.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
  for (const path of [json, jsonl]) {
    const loaded = await loadDataset(path, { ...options, shuffle: false });
    assert.deepEqual(loaded.samples[0], {
      prompt: 'first question',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'first question' },
      ],
      turns: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'second question' },
        { role: 'assistant', content: 'second answer' },
      ],
    });
    assert.deepEqual(loaded.samples[1], { prompt: 'only' });
    assert.deepEqual([...loaded.promptColumns!], [['conversations', 2]]);
  }
  // The same in a save_to_disk directory (list<struct<from, value>>).
  const dir = await writeSaveToDisk(
    join(files.dir, 'hf-sharegpt'),
    { conversations: ([from, to]) => conversationsVector(rows.slice(from, to).map((r) => r.conversations)) },
    2,
  );
  assert.deepEqual(prompts((await loadDataset(dir, { ...options, shuffle: false })).samples), [
    'first question',
    'only',
  ]);
});

test('ShareGPT: a bad turn names the row and the turn', async () => {
  const cases: [unknown, RegExp][] = [
    [{ conversations: 'x' }, /conversations' must be an array/],
    [{ conversations: [{ from: 'alien', value: 'x' }] }, /conversations\[0\]\.from must be one of/],
    [{ conversations: [{ from: 'human', value: 3 }] }, /conversations\[0\]\.value must be a string/],
    [{ conversations: [{ from: 'gpt', value: 'x' }] }, /no human turn/],
  ];
  for (const [row, pattern] of cases) {
    const path = await files.write(
      'bad-sharegpt.jsonl',
      '{"conversations":[{"from":"human","value":"ok"}]}\n' + JSON.stringify(row),
    );
    await assert.rejects(
      loadDataset(path, options),
      badInput('dataset_invalid_conversation', /bad-sharegpt\.jsonl:2: /, pattern),
    );
  }
});
