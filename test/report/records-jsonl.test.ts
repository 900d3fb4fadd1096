import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordToJson, recordToJsonLine } from '../../src/report/records-jsonl.js';
import { RequestErrorCode, type RequestRecord } from '../../src/record/request-record.js';

function record(over: Partial<RequestRecord>): RequestRecord {
  const t = 1e12 + 123_456.7;
  return {
    id: 7,
    sampleIndex: 3,
    shard: 1,
    endpoint: 0,
    sourceIp: '',
    streaming: true,
    reused: false,
    scheduled: t,
    dispatched: t + 10.4,
    connectStart: NaN,
    connected: t + 20,
    sent: t + 30.5,
    headers: t + 1000,
    firstChunk: t + 2000,
    firstToken: t + 2500,
    end: t + 9000,
    chunkTimes: Float64Array.of(t + 2500, t + 2500, t + 3000.5),
    status: 200,
    error: '',
    errorMessage: '',
    finishReason: 'stop',
    inputTokens: 12,
    outputTokens: 3,
    cachedTokens: -1,
    retries: 0,
    tokenSource: 'usage',
    ...over,
  };
}

test('records.jsonl lines are exactly JSON.stringify of the record object, for every kind of record', () => {
  const t0 = 1e12;
  const names = ['http://127.0.0.1:8000', 'https://h\u00e9"st:9/"'];
  const cases: RequestRecord[] = [
    record({}),
    record({ chunkTimes: new Float64Array(0), streaming: false, tokenSource: 'none', finishReason: '' }),
    record({ endpoint: 1, sourceIp: '127.0.0.2', reused: true }),
    record({ endpoint: 5 }), // an index with no name: the number is written
    record({
      error: RequestErrorCode.httpStatus,
      errorMessage: 'HTTP 500 from x: {"error":"b\\u00e4d \n line"} \u2028',
      status: 500,
      firstChunk: NaN,
      firstToken: NaN,
      chunkTimes: new Float64Array(0),
    }),
    record({
      error: RequestErrorCode.connectRefused,
      errorMessage: 'refused',
      status: 0,
      connected: NaN,
      sent: NaN,
      headers: NaN,
      firstChunk: NaN,
      firstToken: NaN,
    }),
    record({ scheduled: NaN, finishReason: 'length', tokenSource: 'chunks' }),
    record({ chunkTimes: Float64Array.from({ length: 500 }, (_, i) => 1e12 + 5e6 + i * 1e6 + 0.5) }),
  ];
  for (const r of cases) assert.equal(recordToJsonLine(r, t0, names), JSON.stringify(recordToJson(r, t0, names)));
});
