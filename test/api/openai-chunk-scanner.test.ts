/** The byte scanner must agree with the JSON.parse path on every chunk shape we know of. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAiResponseState, StreamEventKind } from '../../src/api/openai-response-decoder.js';
import { useNativeAddon } from '../../src/native/addon.js';

/** The JS byte path always; the native scanner too where the addon was built. */
const nativeModes = useNativeAddon(true) ? [false, true] : [false];

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm' };
const chat = (delta: unknown, finish: string | null = null, extra: object = {}) => ({
  ...base,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  ...extra,
});
const completion = (text: unknown, finish: string | null = null) => ({
  id: 'cmpl-1',
  object: 'text_completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
});

const chunks: unknown[] = [
  chat({ role: 'assistant', content: '' }),
  chat({ role: 'assistant' }),
  chat({ content: 'hello' }),
  chat({ content: 'say "content":"x" and \\ backslash' }),
  chat({ content: '"' }),
  chat({ content: '\\' }),
  chat({ content: 'héllo 世界 🚀' }),
  chat({ content: null, reasoning_content: 'thinking' }),
  chat({ reasoning: 'more thinking' }),
  chat({ reasoning_content: '' }),
  chat({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] }),
  chat({ tool_calls: [] }),
  chat({ function_call: { name: 'legacy' } }),
  chat({ function_call: null }),
  chat({}, 'stop'),
  chat({ content: 'last' }, 'length'),
  chat({ content: 'x' }, null, { usage: null }),
  { ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } },
  chat({ content: '' }, 'stop', { usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }),
  { error: { message: 'overloaded', type: 'server_error' } },
  { error: null, ...chat({ content: 'ok' }) },
  chat({ content: '' }, null, { logprobs: { content: [{ token: 'a', logprob: -0.1 }] } }),
  completion('Once'),
  completion(''),
  completion(null, 'stop'),
  completion(' upon 🚀', 'length'),
  { ...base, choices: [null] },
  {
    ...base,
    choices: [
      { index: 0, delta: { content: 'a' } },
      { index: 1, delta: { content: 'b' } },
    ],
  },
  { ...base, text: 'not in choices', choices: [{ index: 0, delta: {} }] },
];

/** The same JSON in the spellings servers use: compact, Python's ", "/": ", and indented. */
function spellings(obj: unknown): string[] {
  const compact = JSON.stringify(obj);
  const python = compact.replace(
    /("(?:[^"\\]|\\.)*")|([,:])/g,
    (m, str: string | undefined, sep: string | undefined) => (str !== undefined ? str : sep + ' '),
  );
  return [compact, python, JSON.stringify(obj, null, 2), ` ${compact}\r`];
}

test('byte scanner and JSON.parse agree on kind, finish reason and token count', () => {
  for (const obj of chunks) {
    for (const text of spellings(obj)) {
      const byParse = new OpenAiResponseState(false);
      const byScan = new OpenAiResponseState(false);
      const expected = byParse.applyStreamEvent('', text.trim());
      const buf = Buffer.from(`xx${text}yy`);
      const got = byScan.applyStreamEventBytes('', buf, 2, buf.length - 2);
      assert.equal(got, expected, `kind for ${text}`);
      assert.equal(byScan.finishReason, byParse.finishReason, `finish for ${text}`);
      assert.equal(byScan.tokenEvents, byParse.tokenEvents, `tokens for ${text}`);
      assert.equal(byScan.completionTokens, byParse.completionTokens, `usage for ${text}`);
      assert.equal(byScan.promptTokens, byParse.promptTokens, `usage for ${text}`);
    }
  }
});

test('byte scanner: [DONE], and malformed chunks are reported', () => {
  const s = new OpenAiResponseState(false);
  const done = Buffer.from('[DONE]');
  assert.equal(s.applyStreamEventBytes('', done, 0, done.length), StreamEventKind.Done);
  for (const bad of [
    '{not json',
    '{"choices":[{"delta":{"content":"x"}}]',
    '{"content":"unterminated}',
    'null',
    '42',
    '',
  ]) {
    const b = Buffer.from(bad);
    assert.equal(
      new OpenAiResponseState(false).applyStreamEventBytes('', b, 0, b.length),
      StreamEventKind.Malformed,
      bad,
    );
  }
});

test('byte scanner defers to the full parse for text capture and named events', () => {
  const s = new OpenAiResponseState(true);
  const b = Buffer.from(JSON.stringify(chat({ content: 'kept' })));
  assert.equal(s.applyStreamEventBytes('', b, 0, b.length), StreamEventKind.Token);
  assert.equal(s.text, 'kept');
  const e = Buffer.from(JSON.stringify({ message: 'boom' }));
  assert.equal(
    new OpenAiResponseState(false).applyStreamEventBytes('error', e, 0, e.length),
    StreamEventKind.ServerError,
  );
});

test('non-streaming bodies: the byte path agrees with the full parse', () => {
  const bodies: unknown[] = [
    {
      id: 'c',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi "there"' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 34,
        total_tokens: 46,
        completion_tokens_details: { reasoning_tokens: 3 },
      },
    },
    {
      id: 'c',
      object: 'text_completion',
      choices: [{ index: 0, text: 'once', finish_reason: 'length' }],
      usage: { prompt_tokens: 1, completion_tokens: 2 },
    },
    {
      id: 'c',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'no usage' }, finish_reason: 'stop' }],
    },
    {
      id: 'c',
      object: 'chat.completion',
      usage: { completion_tokens: 5, prompt_tokens: 6 },
      choices: [{ index: 0, message: { content: '' }, finish_reason: 'stop' }],
    },
    { error: { message: 'bad model' } },
    // Raw text: a choices key the byte path cannot see (escaped), and a finish_reason elsewhere; the full parse decides alone.
    '{"cho\\u0069ces":[{"finish_reason":null}],"meta":{"finish_reason":"length"}}',
    { id: 'no choices' },
  ];
  for (const native of nativeModes) {
    useNativeAddon(native);
    for (const obj of bodies) {
      for (const text of typeof obj === 'string' ? [obj] : spellings(obj)) {
        const byParse = new OpenAiResponseState(false);
        const byScan = new OpenAiResponseState(false);
        const ok = byParse.applyJsonBody(text);
        // Inside a larger buffer, as a socket read delivers it.
        const buf = Buffer.from(`xx${text}yy`);
        const what = `${native ? 'native' : 'JS'}: ${text}`;
        assert.equal(byScan.applyJsonBodyBytes(buf, 2, buf.length - 2), ok, what);
        assert.equal(byScan.finishReason, byParse.finishReason, what);
        assert.equal(byScan.promptTokens, byParse.promptTokens, what);
        assert.equal(byScan.completionTokens, byParse.completionTokens, what);
        assert.equal(byScan.errorMessage, byParse.errorMessage, what);
        assert.equal(byScan.tokenEvents, 0, what);
      }
    }
  }
  useNativeAddon(true);
});

test('non-streaming: choices must be a top-level array for the byte path to accept the body', () => {
  for (const native of nativeModes) {
    useNativeAddon(native);
    for (const body of [
      '{"choices":null}',
      '{"object":"error","message":"x","choices":null}',
      '{"detail":{"choices":[]}}',
      '{"choices":[],"error":{"message":"x"}}',
      '',
    ]) {
      const b = Buffer.from(body);
      const st = new OpenAiResponseState(false);
      assert.equal(st.applyJsonBodyBytes(b, 0, b.length), new OpenAiResponseState(false).applyJsonBody(body), body);
      assert.equal(st.applyJsonBodyBytes(b, 0, b.length), false, body);
    }
  }
  useNativeAddon(true);
});
