import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResultSummary } from '../../src/metrics/result-summary.js';
import { computePercentiles } from '../../src/metrics/percentiles.js';
import { unpackRecords } from '../../src/record/record-batch.js';
import { readStoredBatches } from '../../src/store/stored-records.js';
import { ITL_RELATIVE_ERROR, storedItl } from '../../src/store/store-itl.js';
import { readStoredRecords, summarizeStoredRun } from '../../src/store/store-summary.js';
import { extractRunChartData } from '../../src/report/html/run-chart-data.js';
import type { RequestRecord } from '../../src/record/request-record.js';
import { START_NS, makeRecords, storeWith, SUMMARY_INPUT } from './store-fixture.js';

const INPUT = SUMMARY_INPUT;

test('records come back from the store field for field (NaN times, failures, repeated chunk times)', async () => {
  const records = makeRecords(5000, 7);
  const { store, seq, cleanup } = await storeWith(records);
  try {
    const back = [];
    for await (const b of readStoredBatches(store.connection, seq, true)) back.push(...unpackRecords(b));
    assert.equal(back.length, records.length);
    back.sort((a, b) => a.id - b.id);
    for (let i = 0; i < records.length; i++) assert.deepEqual(back[i], records[i], `record ${i}`);
  } finally {
    await cleanup();
  }
});

test('the summary from the store equals the in-memory summary of the same records', async () => {
  const records = makeRecords(20_000, 3);
  const { store, seq, cleanup } = await storeWith(records);
  try {
    const memory = buildResultSummary({ ...INPUT, records });
    const stored = await summarizeStoredRun(store.connection, seq, INPUT);
    assert.equal(stored.itl_method?.exact, true);
    delete stored.itl_method;
    assert.deepEqual(stored, memory);
    assert.ok(memory.itl.avg !== null && memory.ttft.avg !== null, 'the series are not empty');
  } finally {
    await cleanup();
  }
});

test('past the exact limit ITL percentiles come from the histogram, each within 0.1 % (or 1 ns)', async () => {
  const records = makeRecords(4000, 11);
  const { store, seq, cleanup } = await storeWith(records);
  try {
    const gaps: number[] = [];
    for (const r of records) {
      if (r.error !== '' || !r.streaming) continue;
      for (let c = 1; c < r.chunkTimes.length; c++) gaps.push(r.chunkTimes[c] - r.chunkTimes[c - 1]);
    }
    const exact = computePercentiles(Float64Array.from(gaps));
    const itl = await storedItl(store.connection, seq, 100);
    assert.equal(itl.histogram, true);
    assert.equal(itl.count, gaps.length);
    assert.ok(ITL_RELATIVE_ERROR <= 0.001);
    for (const [key, want] of Object.entries(exact)) {
      const got = itl.series.percentiles[key as keyof typeof exact]!;
      assert.ok(Math.abs(got - want) <= Math.max(1, want * ITL_RELATIVE_ERROR), `p${key}: ${got} vs ${want}`);
    }
    assert.equal(itl.series.min, Math.min(...gaps));
    assert.equal(itl.series.max, Math.max(...gaps));
  } finally {
    await cleanup();
  }
});

test("the sink counts the run's token gaps as it appends: the ITL pass needs no count query, and a wrong count is caught", async () => {
  // Streams cut mid-way: failed, with chunk times (not in ITL, as in the summary in memory).
  const records = makeRecords(20_000, 19).map((r, i) =>
    r.error !== '' && i % 2 === 0
      ? { ...r, streaming: true, chunkTimes: Float64Array.from([r.sent + 1, r.sent + 2, r.sent + 5]) }
      : r,
  );
  const { store, seq, itlGaps, cleanup } = await storeWith(records);
  try {
    let want = 0;
    for (const r of records)
      if (r.error === '' && r.streaming && r.chunkTimes.length > 1) want += r.chunkTimes.length - 1;
    assert.ok(want > 0);
    assert.equal(itlGaps, want);
    const counted = await storedItl(store.connection, seq);
    assert.equal(counted.count, want);
    assert.deepEqual(await storedItl(store.connection, seq, undefined, itlGaps), counted);
    const memory = buildResultSummary({ ...INPUT, records });
    const stored = await summarizeStoredRun(store.connection, seq, INPUT, undefined, itlGaps);
    delete stored.itl_method;
    assert.deepEqual(stored, memory);
    await assert.rejects(storedItl(store.connection, seq, undefined, want + 1), /stored token gaps/);
    await assert.rejects(storedItl(store.connection, seq, 100, want + 1), /stored token gaps/);
  } finally {
    await cleanup();
  }
});

test("with the end-of-run worker thread (ITL on the read-back's scan, sorts on two threads, charts beside) the summary and report.html's data equal the in-memory ones", async () => {
  const records = makeRecords(20_000, 23);
  const { store, seq, itlGaps, cleanup } = await storeWith(records);
  try {
    const options = { startNs: START_NS, endNs: INPUT.endNs, seed: 4 };
    const memory = buildResultSummary({ ...INPUT, records });
    const stored = await readStoredRecords(store.connection, seq, { itlGaps, thread: true });
    assert.ok(stored.thread !== null, 'the worker thread took the run');
    assert.equal((await stored.itl!).count, itlGaps, "the worker's ITL, not the fallback's");
    const summary = await summarizeStoredRun(store.connection, seq, INPUT, stored, itlGaps, options);
    assert.equal(summary.itl_method?.exact, true);
    delete summary.itl_method;
    assert.deepEqual(summary, memory);
    const charts = stored.precomputedCharts(options);
    assert.ok(charts !== null, 'the worker made the charts');
    assert.deepEqual(await charts, extractRunChartData(records, options));
    assert.equal(stored.precomputedCharts({ ...options, seed: 5 }), null, 'other options: made here');
  } finally {
    await cleanup();
  }
});

/** The stored summary of `records` against the in-memory one, field for field (ITL method aside). */
async function assertSameSummary(records: RequestRecord[], what: string): Promise<void> {
  const { store, seq, itlGaps, cleanup } = await storeWith(records);
  try {
    const memory = buildResultSummary({ ...INPUT, records });
    const stored = await summarizeStoredRun(store.connection, seq, INPUT);
    assert.equal(stored.itl_method?.exact, true, what);
    delete stored.itl_method;
    assert.deepEqual(stored, memory, what);
    // And through the end-of-run worker thread.
    const list = await readStoredRecords(store.connection, seq, { itlGaps, thread: true });
    const threaded = await summarizeStoredRun(store.connection, seq, INPUT, list, itlGaps);
    delete threaded.itl_method;
    assert.deepEqual(threaded, memory, `${what}, worker thread`);
  } finally {
    await cleanup();
  }
}

test('the stored summary equals the in-memory one at the edges: no records, one, all failed, none streamed, odd counts', async () => {
  const base = makeRecords(3001, 5);
  await assertSameSummary([], 'no records');
  await assertSameSummary(base.slice(0, 1), 'one record');
  await assertSameSummary(base.slice(0, 2), 'two records');
  await assertSameSummary(
    base.filter((r) => r.error !== ''),
    'every request failed',
  );
  await assertSameSummary(
    base.filter((r) => !r.streaming),
    'no streaming request',
  );
  // Every rank formula at a count where (n − 1)·p lands on and beside integers: 101, 1001, 3001.
  await assertSameSummary(base.slice(0, 101), '101 records');
  await assertSameSummary(base.slice(0, 1001), '1001 records');
  await assertSameSummary(base, '3001 records');
  // Equal values (a server with a fixed TTFT) and several statuses among the failures.
  const flat = base.map((r, i) => ({
    ...r,
    firstToken: Number.isFinite(r.firstToken) ? r.sent + 5e6 : r.firstToken,
    status: r.error === '' ? 200 : [429, 503, 500][i % 3],
    errorMessage: r.error === '' ? '' : `HTTP ${[429, 503, 500][i % 3]}: no ${i}`,
  }));
  await assertSameSummary(flat, 'equal TTFTs, three statuses');
});

test("report.html's chart data from the stored records (ITL from the store's pass) equals that of the records in memory", async () => {
  const records = makeRecords(8000, 9);
  const { store, seq, cleanup } = await storeWith(records);
  try {
    const options = { startNs: START_NS, endNs: START_NS + 1.2e10, seed: 4 };
    const memory = extractRunChartData(records, options);
    const stored = await readStoredRecords(store.connection, seq);
    await summarizeStoredRun(store.connection, seq, INPUT, stored);
    assert.ok(stored.itlDistribution !== null && stored.itlDistribution.count > 0);
    assert.deepEqual(extractRunChartData(stored, options), memory);
  } finally {
    await cleanup();
  }
});

test('goodput with an itl-max SLO from the store equals the in-memory one (the stored records have no chunk times)', async () => {
  const records = makeRecords(3000, 13);
  const { store, seq, cleanup } = await storeWith(records);
  try {
    const input = {
      ...INPUT,
      slos: [{ kind: 'request' as const, text: 'itl-max:1.5ms', metric: 'itl-max' as const, limitNs: 1.5e6 }],
    };
    const memory = buildResultSummary({ ...input, records });
    const stored = await summarizeStoredRun(store.connection, seq, input);
    assert.ok(memory.goodput !== null && memory.goodput.n_good < memory.n_samples_completed, 'the SLO fails some');
    assert.deepEqual(stored.goodput, memory.goodput);
  } finally {
    await cleanup();
  }
});
