/**
 * The native per-read scanner (native/sse_scan.c) must give exactly what the JS path gives —
 * token events, finish reason, usage, malformed/error outcomes — for every stream, split at every
 * byte. Skipped where the addon was not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAiResponseState, StreamEventKind } from '../../src/api/openai-response-decoder.js';
import { SseDecoder } from '../../src/api/sse-decoder.js';
import { useNativeAddon } from '../../src/native/addon.js';

const available = useNativeAddon(true);

interface Outcome {
  tokens: number;
  finish: string;
  prompt: number;
  completion: number;
  cached: number;
  /** Sum of eventTokens over the stream: the token arrivals (per-chunk counts where given). */
  counted: number;
  done: boolean;
  kinds: number[];
  batches: number;
}

/** Decodes like RequestExchange does: per-event path plus (when given) the native batch path. */
function decode(stream: Buffer, splits: number[], native: boolean): Outcome {
  useNativeAddon(native);
  const state = new OpenAiResponseState(false);
  const out: Outcome = {
    tokens: 0,
    finish: '',
    prompt: -1,
    completion: -1,
    cached: -1,
    counted: 0,
    done: false,
    kinds: [],
    batches: 0,
  };
  const sink = {
    get completionCount() {
      return state.completionTokens;
    },
    onSseEvent(event: string, buf: Buffer, start: number, end: number) {
      const k = state.applyStreamEventBytes(event, buf, start, end);
      out.counted += state.eventTokens;
      if (k === StreamEventKind.Done) out.done = true;
      else if (k !== StreamEventKind.Token && k !== StreamEventKind.Empty) out.kinds.push(k);
    },
    onSseBatch(buf: Buffer, o: Int32Array) {
      out.batches++;
      if (o[2] !== 0) out.done = true;
      state.applyStreamBatch(buf, o);
      out.counted += state.eventTokens;
    },
  };
  const decoder = new SseDecoder(sink);
  let prev = 0;
  for (const cut of [...splits, stream.length]) {
    // A fresh buffer per read, as sockets deliver them.
    const piece = Buffer.from(stream.subarray(prev, cut));
    decoder.write(piece, 0, piece.length);
    prev = cut;
  }
  decoder.end();
  out.tokens = state.tokenEvents;
  out.finish = state.finishReason;
  out.prompt = state.promptTokens;
  out.completion = state.completionTokens;
  out.cached = state.cachedTokens;
  return out;
}

const chunk = (delta: unknown, finish: string | null = null, extra: object = {}) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;

const streams: Record<string, string> = {
  typical:
    chunk({ role: 'assistant', content: '' }) +
    chunk({ content: 'héllo' }) +
    chunk({ content: ' 世界 "quoted" \\ back' }) +
    chunk({ reasoning_content: 'think' }) +
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }) +
    chunk({}, 'stop') +
    `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 11, completion_tokens: 22 } })}\n\n` +
    'data: [DONE]\n\n',
  pythonSpacing:
    'data: {"choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": null}]}\n\n' +
    'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}], "usage": {"prompt_tokens": 5, "completion_tokens": 1}}\n\n' +
    'data: [DONE]\n\n',
  mixedFields:
    ': keep-alive\n\n' +
    chunk({ content: 'x' }) +
    'event: message\n' +
    chunk({ content: 'y' }) +
    'data: {"choices":[{"delta":\ndata: {"content":"z"}}]}\n\n' +
    'id: 7\n' +
    chunk({ content: 'w' }) +
    'data: [DONE]\n\n',
  crlf: (chunk({ content: 'a' }) + chunk({}, 'stop') + 'data: [DONE]\n\n').replace(/\n/g, '\r\n'),
  malformed:
    chunk({ content: 'a' }) +
    'data: {not json\n\n' +
    chunk({ content: 'b' }) +
    'data: {"choices":[{"delta":{"content":"unterminated}]}\n\n' +
    'data: [DONE]\n\n',
  error: chunk({ content: 'a' }) + 'data: {"error":{"message":"overloaded"}}\n\n' + 'data: [DONE]\n\n',
  completions:
    'data: {"choices":[{"text":"Once","finish_reason":null}]}\n\ndata: {"choices":[{"text":"","finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
  // Envelope skipping: only a byte-identical prefix with nothing that matters before "choices".
  tokenBeforeChoices: 'data: {"content":"x","choices":[{"delta":{}}]}\n\n'.repeat(3),
  usageBeforeChoices:
    'data: {"usage":{"prompt_tokens":1,"completion_tokens":2},"choices":[{"delta":{"content":"a"}}]}\n\n' +
    'data: {"usage":{"prompt_tokens":1,"completion_tokens":3},"choices":[{"delta":{"content":"b"}}]}\n\n',
  changingEnvelope:
    chunk({ content: 'a' }) +
    chunk({ content: 'b' }, null, { created: 2 }) +
    chunk({ content: '' }, 'stop', { created: 2 }) +
    chunk({ content: 'c' }),
  nestedChoices: 'data: {"detail":{"choices":[{"text":"no"}]},"choices":[{"delta":{"content":""}}]}\n\n',
  // Template events (a chunk matched against the previous one, only its delta text differing).
  templateEscapes:
    ['a', 'b\\', 'c"', '\\"', '', 'd', '"},"logprobs":null,"finish_reason":"stop"}]}', 'é世', '', 'e']
      .map((t) => chunk({ content: t }))
      .join('') +
    chunk({ content: 'f' }, 'stop') +
    'data: [DONE]\n\n',
  templateThenMore:
    chunk({ content: 'a' }) +
    chunk({ content: 'b' }) +
    chunk({ content: 'c', reasoning_content: 'r' }) +
    chunk({ content: '', reasoning_content: 'r' }) +
    chunk({ content: 'd' }) +
    chunk({ content: 'e' }, null, { usage: { prompt_tokens: 1, completion_tokens: 9 } }) +
    chunk({ content: 'g' }),
  templateRawNewline:
    'data: {"choices":[{"delta":{"content":"a"}}]}\n\n' +
    'data: {"choices":[{"delta":{"content":"b\nc"}}]}\n\n' +
    'data: {"choices":[{"delta":{"content":"d"}}]}\n\n',
  templateLineShapes:
    'data: {"choices":[{"delta":{"content":"a"}}]}\n\n' +
    'data: {"choices":[{"delta":{"content":"b"}}]}  \n\n' +
    'data:{"choices":[{"delta":{"content":"c"}}]}\n\n' +
    'data: {"choices":[{"delta":{"content":"d"}}]}\n: c\n\n' +
    'data: {"choices":[{"delta":{"content":"e"}}]}\r\n\r\n' +
    'data: {"choices":[{"delta":{"content":"f"}}]}\n\n',
  templateCompletions:
    ['Once', ' upon', '', ' a']
      .map((t) => `data: {"id":"x","choices":[{"text":${JSON.stringify(t)},"index":0,"finish_reason":null}]}\n\n`)
      .join('') + 'data: {"id":"x","choices":[{"text":"","index":0,"finish_reason":"length"}]}\n\ndata: [DONE]\n\n',
  // A template's value followed by ':' is a key to the (loose) full scan: never a template.
  valueAsKeyError:
    'data: {"choices":[{"delta":{"content":"a":"x"}}]}\n\n' +
    'data: {"choices":[{"delta":{"content":"error":"x"}}]}\n\n',
  valueAsKeyFinish:
    'data: {"choices":[{"delta":{"content":"a":"x"}}]}\n\n' +
    'data: {"choices":[{"delta":{"content":"finish_reason":"x"}}]}\n\n',
  valueAsKeyUsage:
    'data: {"choices":[{"delta":{"content":"a" :{"prompt_tokens":7}}}]}\n\n' +
    'data: {"choices":[{"delta":{"content":"usage" :{"prompt_tokens":7}}}]}\n\n',
  valueAsKeyContent:
    'data: {"choices":[{"delta":{"content":"":"x"}}]}\n\n' +
    'data: {"choices":[{"delta":{"content":"":"x"}}]}\n\n' +
    'data: {"choices":[{"delta":{"content":"reasoning":"x"}}]}\n\n',
  // A malformed event must not leave its envelope offset for the next one (JS path).
  malformedThenClean:
    'data: {"id":"x","choices":[{"delta":{"content":"a"}}]}\n\n' +
    'data: {"id":"x",\n\n' +
    'data: {"id":"x","choices":[{"delta":{"content":"b"}}]}\n\n' +
    'data: {"id":"x","choices":[{"delta":{"content":"c"}}]}\n\n',
  // llama.cpp's final chunk: usage with prompt_tokens_details.cached_tokens (and timings).
  cachedLlamaCpp:
    chunk({ content: 'a' }) +
    'data: {"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1,"id":"c","object":"chat.completion.chunk",' +
    '"usage":{"completion_tokens":1,"prompt_tokens":12,"total_tokens":13,"prompt_tokens_details":{"cached_tokens":9}},' +
    '"timings":{"cache_n":9,"prompt_n":3,"predicted_n":1}}\n\n' +
    'data: [DONE]\n\n',
  cachedVllmNull:
    chunk({ content: 'a' }) +
    `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 1, prompt_tokens_details: null } })}\n\n`,
  // vLLM/SGLang with continuous_usage_stats: a cumulative count on every chunk, so an empty-content
  // chunk the count advances over (a byte-fallback piece of a character) is a token, and a
  // two-token chunk is two.
  continuousUsage:
    chunk({ role: 'assistant', content: '' }, null, { usage: { prompt_tokens: 5, completion_tokens: 0 } }) +
    chunk({ content: 'a' }, null, { usage: { prompt_tokens: 5, completion_tokens: 1 } }) +
    chunk({ content: '' }, null, { usage: { prompt_tokens: 5, completion_tokens: 2 } }) +
    chunk({ content: '😀' }, null, { usage: { prompt_tokens: 5, completion_tokens: 3 } }) +
    chunk({ content: 'bc' }, null, { usage: { prompt_tokens: 5, completion_tokens: 5 } }) +
    chunk({ content: 'd' }, null, { usage: { prompt_tokens: 5, completion_tokens: 6 } }) +
    chunk({}, 'stop', { usage: { prompt_tokens: 5, completion_tokens: 6 } }) +
    `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 6 } })}\n\n` +
    'data: [DONE]\n\n',
  // A per-chunk count that is not cumulative (1 on every chunk): no advance, so one per token event.
  nonCumulativeUsage:
    chunk({ content: 'a' }, null, { usage: { prompt_tokens: 5, completion_tokens: 1 } }) +
    chunk({ content: 'b' }, null, { usage: { prompt_tokens: 5, completion_tokens: 1 } }) +
    chunk({ content: '' }, null, { usage: { prompt_tokens: 5, completion_tokens: 1 } }) +
    chunk({ content: 'c' }, null, { usage: { prompt_tokens: 5, completion_tokens: 1 } }),
  templateToolCalls:
    chunk({ content: 'a' }) +
    chunk({ tool_calls: [{ index: 0, function: { arguments: '' } }] }) +
    chunk({ tool_calls: [{ index: 0, function: { arguments: 'x' } }] }) +
    chunk({ content: 'b' }),
};

test(
  'native and JS paths agree on every stream, split at every byte',
  { skip: !available && 'native addon not built' },
  () => {
    for (const [name, text] of Object.entries(streams)) {
      const stream = Buffer.from(text);
      const reference = decode(stream, [], false);
      for (let cut = 0; cut <= stream.length; cut++) {
        const js = decode(stream, [cut], false);
        const native = decode(stream, [cut], true);
        const strip = (o: Outcome) => ({ ...o, batches: 0 });
        assert.deepEqual(strip(js), strip(reference), `${name}: JS at split ${cut}`);
        assert.deepEqual(strip(native), strip(reference), `${name}: native at split ${cut}`);
      }
    }
    useNativeAddon(true);
  },
);

test('the native path really is taken for clean events', { skip: !available && 'native addon not built' }, () => {
  const o = decode(Buffer.from(streams.typical), [], true);
  assert.equal(o.batches, 1, 'one read, one native call');
  assert.equal(o.tokens, 4);
  assert.equal(o.finish, 'stop');
  assert.equal(o.completion, 22);
  useNativeAddon(true);
});

test('cached prompt tokens and per-chunk token counts, on both paths', () => {
  for (const native of available ? [false, true] : [false]) {
    const llama = decode(Buffer.from(streams.cachedLlamaCpp), [], native);
    assert.equal(llama.cached, 9);
    assert.equal(llama.prompt, 12);
    assert.equal(decode(Buffer.from(streams.cachedVllmNull), [], native).cached, -1, 'null details: not reported');
    assert.equal(decode(Buffer.from(streams.typical), [], native).cached, -1);
    const counted = decode(Buffer.from(streams.continuousUsage), [], native);
    // 0 (role) + 1 + 1 (empty, counted) + 1 + 2 + 1 + 0 (finish) + 0 (usage)
    assert.equal(counted.counted, 6);
    assert.equal(counted.tokens, 4, 'token-bearing events stay as they were');
    assert.equal(decode(Buffer.from(streams.nonCumulativeUsage), [], native).counted, 3);
    // Without per-chunk counts an empty-content delta is not a token, and the final usage chunk adds none.
    assert.equal(decode(Buffer.from(streams.typical), [], native).counted, 4);
  }
  useNativeAddon(true);
});
