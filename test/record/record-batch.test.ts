import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RecordBatchBuilder,
  RecordBatchList,
  appendArrivals,
  T,
  packRecords,
  unpackRecords,
  type ArrivalList,
} from '../../src/record/record-batch.js';
import { RequestErrorCode, type RequestRecord } from '../../src/record/request-record.js';

function record(id: number, over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id,
    sampleIndex: id % 7,
    shard: 1,
    endpoint: id % 2,
    sourceIp: id % 3 === 0 ? '127.0.0.2' : '',
    streaming: true,
    reused: id % 2 === 1,
    scheduled: 1e12 + id,
    dispatched: 1e12 + id + 0.5,
    connectStart: NaN,
    connected: 1e12 + id + 1,
    sent: 1e12 + id + 2,
    headers: 1e12 + id + 3,
    firstChunk: 1e12 + id + 4,
    firstToken: 1e12 + id + 5,
    end: 1e12 + id + 6,
    chunkTimes: new Float64Array(0),
    status: 200,
    error: '',
    errorMessage: '',
    finishReason: 'stop',
    inputTokens: 10 + id,
    outputTokens: 3,
    cachedTokens: -1,
    retries: 0,
    tokenSource: 'usage',
    ...over,
  };
}

test('pack and unpack give back every field, NaN times and failures included', () => {
  const records = [
    record(0, { chunkTimes: Float64Array.of(5, 5, 6, 6, 6, 7, 5) }),
    record(1, {
      error: RequestErrorCode.connectRefused,
      errorMessage: 'connection refused by x',
      status: 0,
      connected: NaN,
      sent: NaN,
      headers: NaN,
      firstChunk: NaN,
      firstToken: NaN,
      finishReason: '',
      tokenSource: 'none',
      outputTokens: 0,
    }),
    record(2, { streaming: false, tokenSource: 'chunks', text: 'héllo' }),
    record(3, { error: RequestErrorCode.httpStatus, errorMessage: 'HTTP 500 from x: boom', status: 500 }),
  ];
  const back = unpackRecords(packRecords(records));
  assert.equal(back.length, records.length);
  for (let k = 0; k < records.length; k++) {
    assert.deepEqual(
      { ...back[k], chunkTimes: [...back[k].chunkTimes] },
      { ...records[k], chunkTimes: [...records[k].chunkTimes] },
    );
  }
});

test('the builder expands chunk runs, grows past its first capacity, and starts empty after take()', () => {
  const builder = new RecordBatchBuilder();
  const runsFor = (id: number): ArrivalList => {
    const list: ArrivalList = [];
    appendArrivals(list, 100 + id, 40);
    appendArrivals(list, 200 + id, 30 + (id % 5));
    appendArrivals(list, 300 + id, 1);
    return list;
  };
  const n = 700; // past 256 records and past 2,048 runs
  for (let id = 0; id < n; id++) builder.add(record(id, { outputTokens: 70 + (id % 5) }), runsFor(id));
  assert.equal(builder.count, n);
  const batch = builder.take();
  assert.equal(batch.times.length, n * T.Size, 'exact size, not the grown capacity');
  assert.equal(batch.chunkRuns.length, n * 6, 'chunk times travel as (arrival, count) runs');
  const back = unpackRecords(batch);
  for (let id = 0; id < n; id++) {
    const expected = [
      ...new Array<number>(40).fill(100 + id),
      ...new Array<number>(30 + (id % 5)).fill(200 + id),
      300 + id,
    ];
    assert.deepEqual([...back[id].chunkTimes], expected, `record ${id}`);
    assert.equal(back[id].end, 1e12 + id + 6);
  }
  assert.equal(builder.count, 0);
  builder.add(record(9, { sourceIp: '127.0.0.9' }), []);
  const second = unpackRecords(builder.take());
  assert.equal(second.length, 1);
  assert.equal(second[0].sourceIp, '127.0.0.9', 'a fresh string table per batch');
  assert.equal(second[0].chunkTimes.length, 0);
  // The first batch is unaffected by later use of the builder (it holds copies).
  assert.equal(back[0].chunkTimes[0], 100);
});

test('arrival lists: one double per lone arrival, a negative count for repeats, expanded exactly', () => {
  const list: ArrivalList = [];
  for (const [at, n] of [
    [5, 1],
    [5, 2],
    [6, 1],
    [7, 3],
    [7, 1],
    [8, 0],
    [9, 1],
  ])
    appendArrivals(list, at, n);
  assert.deepEqual(list, [5, -2, 6, 7, -3, 9]);
  const builder = new RecordBatchBuilder();
  builder.add(record(1), list);
  const [back] = unpackRecords(builder.take());
  assert.deepEqual([...back.chunkTimes], [5, 5, 5, 6, 7, 7, 7, 7, 9]);
});

test('a batch list yields every record in order, on every pass', () => {
  const list = new RecordBatchList();
  list.push(packRecords([record(0), record(1, { chunkTimes: Float64Array.of(3, 3, 4) })]));
  list.push(packRecords([record(2)]));
  assert.equal(list.count, 3);
  for (let pass = 0; pass < 2; pass++) {
    const seen = [...list];
    assert.deepEqual(
      seen.map((r) => r.id),
      [0, 1, 2],
      `pass ${pass}`,
    );
    assert.deepEqual([...seen[1].chunkTimes], [3, 3, 4]);
  }
});

test('a batch list finds the latest end without unpacking, ignoring requests that never ended', () => {
  const list = new RecordBatchList();
  list.push(packRecords([record(0, { end: 5e12 }), record(1, { end: NaN })]));
  list.push(packRecords([record(2, { end: 7e12 })]));
  assert.equal(list.latestEnd(0), 7e12);
  assert.equal(list.latestEnd(9e12), 9e12, 'never before the floor (the run start)');
  assert.equal(new RecordBatchList().latestEnd(3), 3);
});
