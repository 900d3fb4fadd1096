/**
 * Conversation datasets for --multi-turn: MLPerf Endpoints' agentic rows, ShareGPT and messages
 * rows become the same turns; rows out of order or out of sequence exit 2 naming file:line.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readConversations } from '../../src/conversation/conversation-dataset.js';
import { BadInputError } from '../../src/errors.js';

async function withFile<T>(name: string, text: string, body: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'llm-loadgen-conv-'));
  try {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return await body(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

test("MLPerf Endpoints' agentic rows: grouped by conversation_id, in turn order, with system, tools and per-turn caps", async () => {
  const rows = [
    { conversation_id: 'b', turn: 2, role: 'assistant', content: 'B1' },
    { conversation_id: 'a', turn: 1, role: 'user', content: 'hello', system: 'be brief', max_new_tokens: 7 },
    { conversation_id: 'b', turn: 1, role: 'user', content: 'q' },
    {
      conversation_id: 'a',
      turn: 2,
      role: 'assistant',
      tool_calls: [{ id: 't0', type: 'function', function: { name: 'ls', arguments: '{}' } }],
    },
    { conversation_id: 'a', turn: 3, role: 'tool', tool_results: [{ tool_call_id: 't0', content: 'x.txt' }] },
    { conversation_id: 'a', turn: 4, role: 'assistant', content: 'done' },
    { conversation_id: 'a', turn: 5, role: 'user', content: 'thanks' },
  ];
  const convs = await withFile('agentic.jsonl', jsonl(rows), (f) => readConversations(f));
  assert.deepEqual(
    convs.map((c) => c.id),
    ['b', 'a'],
    'file order of first appearance',
  );
  const a = convs[1];
  assert.equal(a.system, 'be brief');
  assert.equal(a.turns.length, 3, 'user, tool and user rows are the client turns');
  assert.deepEqual(a.turns[0].messages, [{ role: 'user', content: 'hello' }]);
  assert.equal(a.turns[0].maxOutputTokens, 7);
  assert.equal(a.turns[0].answer?.content, null);
  assert.ok(Array.isArray(a.turns[0].answer?.tool_calls));
  assert.deepEqual(a.turns[1].messages, [{ role: 'tool', tool_call_id: 't0', content: 'x.txt' }]);
  assert.equal(a.turns[1].answer?.content, 'done');
  assert.equal(a.turns[2].answer, undefined, 'the last turn has no answer in the dataset');
  assert.equal(convs[0].turns[0].answer?.content, 'B1');
});

test('ShareGPT (.json array) and messages rows: human/gpt pairs become turns, leading gpt dropped, user runs joined', async () => {
  const rows = [
    {
      id: 'sg1',
      conversations: [
        { from: 'system', value: 'sys' },
        { from: 'gpt', value: 'greeting nobody asked for' },
        { from: 'human', value: 'one' },
        { from: 'human', value: 'more' },
        { from: 'gpt', value: 'A1' },
        { from: 'human', value: 'two' },
        { from: 'gpt', value: 'A2' },
      ],
    },
    {
      messages: [
        { role: 'user', content: 'm1' },
        { role: 'assistant', content: 'r1' },
        { role: 'user', content: 'm2' },
      ],
    },
  ];
  const convs = await withFile('sharegpt.json', JSON.stringify(rows), (f) => readConversations(f));
  assert.equal(convs.length, 2);
  assert.equal(convs[0].id, 'sg1');
  assert.equal(convs[0].system, 'sys');
  assert.deepEqual(
    convs[0].turns.map((t) => [t.messages.map((m) => m.content), t.answer?.content]),
    [
      [['one\nmore'], 'A1'],
      [['two'], 'A2'],
    ],
  );
  assert.equal(convs[1].id, '2', 'no id: the row number');
  assert.deepEqual(
    convs[1].turns.map((t) => t.messages[0].content),
    ['m1', 'm2'],
  );
});

test('bad conversations exit 2 naming file:line and what to fix', async () => {
  const cases: [string, unknown[], RegExp][] = [
    [
      'turn gap',
      [
        { conversation_id: 'c', turn: 1, role: 'user', content: 'x' },
        { conversation_id: 'c', turn: 3, role: 'assistant', content: 'y' },
      ],
      /:2: conversation "c": turn 3 where 2 was expected/,
    ],
    [
      'user after user',
      [
        { conversation_id: 'c', turn: 1, role: 'user', content: 'x' },
        { conversation_id: 'c', turn: 2, role: 'user', content: 'y' },
      ],
      /:2: .*role user cannot follow user \(expected assistant\)/,
    ],
    ['not a conversation', [{ prompt: 'single turn' }], /:1: not a conversation/],
    [
      'bad speaker',
      [{ conversations: [{ from: 'narrator', value: 'x' }] }],
      /:1: conversations\[0\]\.from is "narrator"/,
    ],
  ];
  for (const [name, rows, message] of cases) {
    await withFile('bad.jsonl', jsonl(rows), async (f) => {
      await assert.rejects(readConversations(f), (err: unknown) => {
        assert.ok(err instanceof BadInputError, name);
        assert.equal(err.code, 'dataset_conversation_invalid', name);
        assert.match(err.message, message, name);
        assert.ok(err.message.startsWith(f), `${name}: names the file`);
        return true;
      });
    });
  }
});
