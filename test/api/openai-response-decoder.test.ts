import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAiResponseState, StreamEventKind } from '../../src/api/openai-response-decoder.js';
import { EXCERPT_CHARS, excerpt } from '../../src/record/redact-secrets.js';

function chat(delta: unknown, finish: string | null = null, extra: object = {}): string {
  return JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...extra,
  });
}

function completion(text: unknown, finish: string | null = null): string {
  return JSON.stringify({
    id: 'c1',
    object: 'text_completion',
    model: 'm',
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
  });
}

test('chat deltas: content, reasoning_content, reasoning and non-empty tool_calls are tokens', () => {
  const s = new OpenAiResponseState(true);
  assert.equal(s.applyStreamEvent('', chat({ content: 'héllo' })), StreamEventKind.Token);
  assert.equal(s.applyStreamEvent('', chat({ reasoning_content: 'think' })), StreamEventKind.Token);
  assert.equal(s.applyStreamEvent('', chat({ reasoning: 'think more' })), StreamEventKind.Token);
  assert.equal(
    s.applyStreamEvent(
      '',
      chat({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] }),
    ),
    StreamEventKind.Token,
  );
  assert.equal(
    s.applyStreamEvent('', chat({ tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] })),
    StreamEventKind.Token,
  );
  assert.equal(s.applyStreamEvent('', chat({ function_call: { name: 'legacy' } })), StreamEventKind.Token);
  // content alongside a null reasoning field (vLLM style)
  assert.equal(s.applyStreamEvent('', chat({ content: ' 世界', reasoning_content: null })), StreamEventKind.Token);
  assert.equal(s.tokenEvents, 7);
  assert.equal(s.text, 'héllo 世界', 'only content is captured as text');
});

test('chat deltas without generated content are not tokens', () => {
  const s = new OpenAiResponseState(false);
  const empties = [
    chat({ role: 'assistant' }),
    chat({ role: 'assistant', content: '' }),
    chat({ content: '' }),
    chat({ content: null }),
    chat({}),
    chat({ tool_calls: [] }),
    chat({ tool_calls: null }),
    chat({ reasoning_content: '' }),
    chat({ function_call: null }),
    chat({ content: 42 }),
    chat(null),
    JSON.stringify({ choices: [] }),
    JSON.stringify({ object: 'chat.completion.chunk' }),
    JSON.stringify({ choices: 'nope' }),
  ];
  for (const e of empties) assert.equal(s.applyStreamEvent('', e), StreamEventKind.Empty, e);
  assert.equal(s.tokenEvents, 0);
  assert.equal(s.errorMessage, '');
});

test('completions: non-empty text is a token, empty text is not', () => {
  const s = new OpenAiResponseState(true);
  assert.equal(s.applyStreamEvent('', completion('Once')), StreamEventKind.Token);
  assert.equal(s.applyStreamEvent('', completion(' upon 🚀')), StreamEventKind.Token);
  assert.equal(s.applyStreamEvent('', completion('')), StreamEventKind.Empty);
  assert.equal(s.applyStreamEvent('', completion(null)), StreamEventKind.Empty);
  assert.equal(s.applyStreamEvent('', completion('', 'length')), StreamEventKind.Empty);
  assert.equal(s.tokenEvents, 2);
  assert.equal(s.text, 'Once upon 🚀');
  assert.equal(s.finishReason, 'length');
});

test('text is only collected when captureText is set', () => {
  const s = new OpenAiResponseState(false);
  s.applyStreamEvent('', chat({ content: 'a' }));
  s.applyStreamEvent('', completion('b'));
  assert.equal(s.text, '');
  assert.equal(s.tokenEvents, 2);
});

test('finish_reason: taken from the chunk that has it, null does not erase it', () => {
  const s = new OpenAiResponseState(false);
  assert.equal(s.finishReason, '');
  s.applyStreamEvent('', chat({ content: 'x' }));
  assert.equal(s.finishReason, '');
  // a finish chunk that also carries the last token
  assert.equal(s.applyStreamEvent('', chat({ content: 'y' }, 'length')), StreamEventKind.Token);
  assert.equal(s.finishReason, 'length');
  assert.equal(s.applyStreamEvent('', chat({}, null)), StreamEventKind.Empty);
  assert.equal(s.finishReason, 'length');
  assert.equal(s.applyStreamEvent('', chat({}, 'stop')), StreamEventKind.Empty);
  assert.equal(s.finishReason, 'stop');
});

test('usage: on a chunk with empty choices, on a content chunk, and absent', () => {
  const s = new OpenAiResponseState(false);
  assert.equal(s.promptTokens, -1);
  assert.equal(s.completionTokens, -1);
  assert.equal(s.applyStreamEvent('', chat({ content: 'x' }, null, { usage: null })), StreamEventKind.Token);
  assert.equal(s.promptTokens, -1);
  assert.equal(
    s.applyStreamEvent(
      '',
      JSON.stringify({ id: 'c1', choices: [], usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 } }),
    ),
    StreamEventKind.Empty,
  );
  assert.equal(s.promptTokens, 12);
  assert.equal(s.completionTokens, 34);
  // continuous usage stats (vLLM): usage on every chunk, the last one wins
  assert.equal(
    s.applyStreamEvent('', chat({ content: 'z' }, null, { usage: { prompt_tokens: 12, completion_tokens: 35 } })),
    StreamEventKind.Token,
  );
  assert.equal(s.completionTokens, 35);
  // partial or non-numeric usage does not overwrite
  s.applyStreamEvent('', JSON.stringify({ choices: [], usage: { prompt_tokens: '9' } }));
  assert.equal(s.promptTokens, 12);
  assert.equal(s.completionTokens, 35);
});

test('[DONE] ends the stream and touches nothing', () => {
  const s = new OpenAiResponseState(true);
  assert.equal(s.applyStreamEvent('', '[DONE]'), StreamEventKind.Done);
  assert.equal(s.tokenEvents, 0);
  assert.equal(s.errorMessage, '');
  // only the exact marker
  assert.equal(s.applyStreamEvent('', '[DONE] '), StreamEventKind.Malformed);
});

test('malformed JSON and non-object JSON are Malformed, with an excerpt in the message', () => {
  for (const data of ['{"choices":[{"delta":', 'not json at all', '', "{'single':1}"]) {
    const s = new OpenAiResponseState(false);
    assert.equal(s.applyStreamEvent('', data), StreamEventKind.Malformed, JSON.stringify(data));
    assert.match(s.errorMessage, /not JSON/);
  }
  for (const data of ['42', '"str"', 'null', 'true']) {
    const s = new OpenAiResponseState(false);
    assert.equal(s.applyStreamEvent('', data), StreamEventKind.Malformed, data);
    assert.match(s.errorMessage, /not a JSON object/);
  }
  const s = new OpenAiResponseState(false);
  s.applyStreamEvent('', '{broken ' + 'x'.repeat(5000));
  // Bounded here; cut to MESSAGE_CHARS only after redaction, when the record is packed.
  assert.ok(s.errorMessage.length < EXCERPT_CHARS + 100, 'the excerpt is bounded');
  assert.ok(s.errorMessage.includes('{broken'));
});

test('an error object inside the stream is a ServerError with its message', () => {
  const s = new OpenAiResponseState(false);
  s.applyStreamEvent('', chat({ content: 'x' }));
  assert.equal(
    s.applyStreamEvent(
      '',
      JSON.stringify({ error: { message: 'CUDA out of memory', type: 'InternalServerError', code: 500 } }),
    ),
    StreamEventKind.ServerError,
  );
  assert.match(s.errorMessage, /server error in stream: CUDA out of memory/);
  const t = new OpenAiResponseState(false);
  assert.equal(t.applyStreamEvent('', JSON.stringify({ error: 'plain string error' })), StreamEventKind.ServerError);
  assert.match(t.errorMessage, /plain string error/);
  const u = new OpenAiResponseState(false);
  assert.equal(u.applyStreamEvent('', JSON.stringify({ error: { code: 7 } })), StreamEventKind.ServerError);
  assert.match(u.errorMessage, /"code":7/);
  // error: null is not an error
  const v = new OpenAiResponseState(false);
  assert.equal(v.applyStreamEvent('', chat({ content: 'x' }, null, { error: null })), StreamEventKind.Token);
});

test('`event: error` is a ServerError whatever its JSON says', () => {
  const s = new OpenAiResponseState(false);
  assert.equal(s.applyStreamEvent('error', JSON.stringify({ message: 'overloaded' })), StreamEventKind.ServerError);
  assert.match(s.errorMessage, /overloaded/);
  const t = new OpenAiResponseState(false);
  assert.equal(t.applyStreamEvent('error', chat({ content: 'x' })), StreamEventKind.ServerError);
  assert.equal(t.tokenEvents, 0);
  // other event names are ordinary
  const u = new OpenAiResponseState(false);
  assert.equal(u.applyStreamEvent('message', chat({ content: 'x' })), StreamEventKind.Token);
});

test('JSON body: chat message with usage and finish reason', () => {
  const s = new OpenAiResponseState(true);
  const ok = s.applyJsonBody(
    JSON.stringify({
      id: 'c1',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'héllo 世界 🚀' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
    }),
  );
  assert.equal(ok, true);
  assert.equal(s.text, 'héllo 世界 🚀');
  assert.equal(s.finishReason, 'stop');
  assert.equal(s.promptTokens, 5);
  assert.equal(s.completionTokens, 6);
  assert.equal(s.errorMessage, '');
});

test('JSON body: completions text; no usage leaves counts at -1', () => {
  const s = new OpenAiResponseState(true);
  assert.equal(
    s.applyJsonBody(
      JSON.stringify({ object: 'text_completion', choices: [{ text: 'Once upon', finish_reason: 'length' }] }),
    ),
    true,
  );
  assert.equal(s.text, 'Once upon');
  assert.equal(s.finishReason, 'length');
  assert.equal(s.promptTokens, -1);
  assert.equal(s.completionTokens, -1);
  const t = new OpenAiResponseState(false);
  assert.equal(t.applyJsonBody(JSON.stringify({ choices: [{ text: 'x' }] })), true);
  assert.equal(t.text, '', 'not captured');
});

test('JSON body: an empty choices array is accepted (nothing generated)', () => {
  const s = new OpenAiResponseState(true);
  assert.equal(
    s.applyJsonBody(JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 0 } })),
    true,
  );
  assert.equal(s.completionTokens, 0);
  assert.equal(s.text, '');
});

test('JSON body: missing choices, error objects, non-JSON and non-objects are refused with a message', () => {
  const cases: [string, RegExp][] = [
    [JSON.stringify({ id: 'x', object: 'list', data: [] }), /no "choices" array/],
    [JSON.stringify({ choices: { text: 'x' } }), /no "choices" array/],
    [
      JSON.stringify({ error: { message: 'The model `foo` does not exist.', type: 'NotFoundError', code: 404 } }),
      /server error: The model `foo` does not exist\./,
    ],
    [JSON.stringify({ error: 'rate limited' }), /server error: rate limited/],
    [JSON.stringify({ object: 'error', message: 'x', error: { code: 1 } }), /server error: \{"code":1\}/],
    ['<html><body>502 Bad Gateway</body></html>', /not JSON: <html><body>502 Bad Gateway/],
    ['', /not JSON/],
    ['[1,2]', /no "choices" array/],
    ['"text"', /not a JSON object/],
    ['null', /not a JSON object/],
  ];
  for (const [body, re] of cases) {
    const s = new OpenAiResponseState(false);
    assert.equal(s.applyJsonBody(body), false, body);
    assert.match(s.errorMessage, re, body);
  }
});

test('excerpt flattens whitespace and bounds the length', () => {
  assert.equal(excerpt('  a\n\n b\tc  '), 'a b c');
  assert.equal(excerpt('x'.repeat(EXCERPT_CHARS + 100)).length, EXCERPT_CHARS + 1);
  assert.ok(excerpt('x'.repeat(EXCERPT_CHARS + 100)).endsWith('…'));
  assert.equal(excerpt('abc', 2), 'ab…');
});

test('odd choice entries (null, numbers, strings) are Empty, never a crash', () => {
  // A throw here would escape from the socket's data handler and take the whole shard down.
  for (const data of [
    '{"choices":[null]}',
    '{"choices":[1]}',
    '{"choices":["x"]}',
    '{"choices":[{"delta":"x"}]}',
    '{"choices":[{"delta":null,"text":null}]}',
  ]) {
    const s = new OpenAiResponseState(true);
    assert.equal(s.applyStreamEvent('', data), StreamEventKind.Empty, data);
  }
  for (const body of ['{"choices":[null]}', '{"choices":[{"message":null}]}']) {
    const s = new OpenAiResponseState(true);
    assert.equal(s.applyJsonBody(body), true, body);
  }
});
