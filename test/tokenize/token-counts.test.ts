import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarizeTokenLengths } from '../../src/metrics/token-counts.js';
import type { RequestRecord } from '../../src/record/request-record.js';

function record(overrides: Partial<RequestRecord>): RequestRecord {
  return {
    id: 0,
    sampleIndex: 0,
    shard: 0,
    endpoint: 0,
    sourceIp: '',
    streaming: true,
    reused: false,
    scheduled: NaN,
    dispatched: NaN,
    connectStart: NaN,
    connected: NaN,
    sent: NaN,
    headers: NaN,
    firstChunk: NaN,
    firstToken: NaN,
    end: NaN,
    chunkTimes: new Float64Array(0),
    status: 200,
    error: '',
    errorMessage: '',
    finishReason: 'stop',
    inputTokens: -1,
    outputTokens: 0,
    cachedTokens: -1,
    retries: 0,
    tokenSource: 'usage',
    ...overrides,
  };
}

test('ISL: usage first, then the tokenizer, else unmeasured; disagreement where both exist', () => {
  const counts = { counts: Int32Array.from([100, 50, -1, 7]), tokenizer: 'test tokenizer' };
  const records = [
    record({ sampleIndex: 0, inputTokens: 80, outputTokens: 4 }), // usage 80, tokenizer 100: +25 %
    record({ sampleIndex: 1, inputTokens: 50, outputTokens: 4 }), // equal
    record({ sampleIndex: 2, inputTokens: -1, outputTokens: 2, tokenSource: 'chunks' }), // nobody counted
    record({ sampleIndex: 3, inputTokens: -1, outputTokens: 0, tokenSource: 'none', streaming: false }), // tokenizer 7
    record({ sampleIndex: 0, error: 'timeout', inputTokens: -1 }), // failed: not in any series
  ];
  const s = summarizeTokenLengths(records, { tokenizer: counts });
  assert.deepEqual(s.token_counts.input.sources, { usage: 2, tokenizer: 1, none: 1 });
  assert.equal(s.input_sequence_lengths.total, 80 + 50 + 7);
  assert.equal(s.input_sequence_lengths.min, 7);
  assert.deepEqual(s.token_counts.input.usage_vs_tokenizer, { compared: 2, equal: 1, mean_pct: 12.5, max_abs_pct: 25 });
  assert.equal(s.token_counts.input.tokenizer, 'test tokenizer');
  assert.match(
    s.token_counts.input.null_reason ?? '',
    /^ISL not measured for 1 request\(s\).*test tokenizer did not count/,
  );
  assert.deepEqual(s.token_counts.output.sources, { usage: 2, chunks: 1, none: 1 });
  assert.equal(s.output_sequence_lengths.total, 10, 'the unmeasured OSL is left out, not counted as 0');
  assert.match(s.token_counts.output.null_reason ?? '', /^1 non-streaming answer/);
});

test('no tokenizer and every count from usage: no reason, no comparison', () => {
  const s = summarizeTokenLengths([record({ inputTokens: 0, outputTokens: 1 })], undefined);
  assert.equal(s.input_sequence_lengths.total, 0, 'a measured 0 stays 0');
  assert.equal(s.token_counts.input.null_reason, null);
  assert.equal(s.token_counts.input.usage_vs_tokenizer, null);
  assert.equal(s.token_counts.input.tokenizer, null);
});
