import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OUTPUT_CAP_COLUMNS, PROMPT_COLUMNS, describeTally, sampleFromRow } from '../../src/dataset/column-mapping.js';
import { badInput } from './bad-input.js';

const WHERE = 'data.jsonl:7';

for (const column of PROMPT_COLUMNS) {
  test(`prompt column '${column}' is read`, () => {
    assert.deepEqual(sampleFromRow({ [column]: 'hello', other: 1 }, WHERE), { prompt: 'hello' });
  });
}

test('the first prompt column in priority order wins', () => {
  assert.deepEqual(sampleFromRow({ question: 'q', input: 'i', prompt: 'p' }, WHERE), { prompt: 'p' });
  assert.deepEqual(sampleFromRow({ user_prompt: 'u', question: 'q' }, WHERE), { prompt: 'u' });
});

test("without a mapping, prompt columns are tried in MLPerf Endpoints' order (MakeAdapterCompatible)", () => {
  // Each candidate beats every later one; text_input (read by MLPerf Endpoints only through parser.prompt) is last.
  const order = ['user_prompt', 'question', 'input', 'input_text', 'problem', 'query', 'text_input'];
  assert.deepEqual(PROMPT_COLUMNS.slice(1), order);
  for (let i = 0; i < order.length - 1; i++) {
    const row = Object.fromEntries(order.slice(i).map((c) => [c, c]));
    assert.equal(sampleFromRow(row, WHERE).prompt, order[i]);
  }
});

test('the tally counts the column each row took its prompt from', () => {
  const tally = new Map<string, number>();
  sampleFromRow({ question: 'q', text_input: 't' }, WHERE, undefined, tally);
  sampleFromRow({ question: 'q' }, WHERE, undefined, tally);
  sampleFromRow({ messages: [{ role: 'user', content: 'm' }] }, WHERE, undefined, tally);
  sampleFromRow({ article: 'a' }, WHERE, { prompt: 'article' }, tally);
  assert.deepEqual(
    [...tally],
    [
      ['question', 2],
      ['messages', 1],
      ['article', 1],
    ],
  );
  assert.equal(describeTally(tally), "'question' (2 rows), 'messages' (1 row), 'article' (1 row)");
});

test('a null prompt column is skipped in favour of a later one', () => {
  assert.deepEqual(sampleFromRow({ prompt: null, input: 'i' }, WHERE), { prompt: 'i' });
});

test('a non-string prompt column names the row and the column', () => {
  assert.throws(
    () => sampleFromRow({ input: 42 }, WHERE),
    badInput('dataset_invalid_prompt', /^data\.jsonl:7: /, /'input'/),
  );
  assert.throws(
    () => sampleFromRow({ prompt: null }, WHERE),
    badInput('dataset_invalid_prompt', /data\.jsonl:7/, /'prompt' is null/),
  );
});

test('messages with string content', () => {
  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'first' },
    { role: 'assistant', content: 'ok' },
    { role: 'user', content: 'second' },
  ];
  assert.deepEqual(sampleFromRow({ messages }, WHERE), { prompt: 'second', messages });
});

test('messages with text part arrays are joined with no separator', () => {
  const row = {
    messages: [
      { role: 'developer', content: [{ type: 'text', text: 'Rules.' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Hello, ' },
          { type: 'text', text: 'world' },
        ],
      },
    ],
  };
  assert.deepEqual(sampleFromRow(row, WHERE), {
    prompt: 'Hello, world',
    messages: [
      { role: 'developer', content: 'Rules.' },
      { role: 'user', content: 'Hello, world' },
    ],
  });
});

test('extra message fields are dropped', () => {
  const row = { messages: [{ role: 'user', content: 'x', name: 'bob' }] };
  assert.deepEqual(sampleFromRow(row, WHERE).messages, [{ role: 'user', content: 'x' }]);
});

test('messages take priority over prompt columns', () => {
  const row = { prompt: 'p', messages: [{ role: 'user', content: 'm' }] };
  assert.equal(sampleFromRow(row, WHERE).prompt, 'm');
});

test('a conversation without a user turn uses its last message as the prompt', () => {
  const row = { messages: [{ role: 'system', content: 'only system' }] };
  assert.equal(sampleFromRow(row, WHERE).prompt, 'only system');
});

test('invalid messages are rejected with the row and the message index', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['not an array', /'messages' must be an array/],
    [[], /'messages' is empty/],
    [[{ role: 'robot', content: 'x' }], /messages\[0\]\.role must be one of 'system', 'user'.*got a string/],
    [[{ role: 'user', content: 'x' }, { content: 'y' }], /messages\[1\]\.role/],
    [[{ role: 'user', content: null }], /messages\[0\]\.content must be a string or an array/],
    [
      [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }],
      /messages\[0\]\.content\[0\].*of type 'image_url'/,
    ],
    [['hi'], /messages\[0\] must be a \{role, content\} object/],
  ];
  for (const [messages, pattern] of cases) {
    assert.throws(
      () => sampleFromRow({ messages }, WHERE),
      badInput('dataset_invalid_messages', /^data\.jsonl:7: /, pattern),
    );
  }
});

test('a row with no prompt column lists the accepted columns and the row keys', () => {
  assert.throws(
    () => sampleFromRow({ text: 'x', id: 3 }, WHERE),
    badInput(
      'dataset_no_prompt_column',
      /^data\.jsonl:7: /,
      /'prompt', 'user_prompt', 'question', 'input', 'input_text', 'problem', 'query', 'text_input', 'messages', 'conversations'/,
      /parser\.prompt=COL/,
      /keys: 'text', 'id'\./,
    ),
  );
  assert.throws(() => sampleFromRow({}, WHERE), badInput('dataset_no_prompt_column', /keys: \(none\)/));
});

test('wide rows list only the first keys', () => {
  const row = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, i]));
  assert.throws(() => sampleFromRow(row, WHERE), badInput('dataset_no_prompt_column', /'k19' and 5 more/));
});

test('a row that is not an object is rejected; an array row hints at .json', () => {
  assert.throws(() => sampleFromRow('text', WHERE), badInput('dataset_row_not_object', /got a string/));
  assert.throws(() => sampleFromRow([{ prompt: 'x' }], WHERE), badInput('dataset_row_not_object', /\.json extension/));
});

for (const column of OUTPUT_CAP_COLUMNS) {
  test(`output cap column '${column}' is read`, () => {
    assert.deepEqual(sampleFromRow({ prompt: 'p', [column]: 128 }, WHERE), { prompt: 'p', maxOutputTokens: 128 });
  });
}

test('output cap: first present column wins, null means no cap, bad values are rejected', () => {
  assert.equal(sampleFromRow({ prompt: 'p', output_len: 5, max_tokens: 9 }, WHERE).maxOutputTokens, 9);
  assert.equal(sampleFromRow({ prompt: 'p', max_tokens: null }, WHERE).maxOutputTokens, undefined);
  assert.ok(!('maxOutputTokens' in sampleFromRow({ prompt: 'p' }, WHERE)));
  for (const bad of [0, -1, 1.5, '12', true]) {
    assert.throws(
      () => sampleFromRow({ prompt: 'p', max_output_tokens: bad }, WHERE),
      badInput('dataset_invalid_output_cap', /^data\.jsonl:7: column 'max_output_tokens'/),
    );
  }
});
