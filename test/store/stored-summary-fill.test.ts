import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResultSummary, type SummaryContext } from '../../src/metrics/result-summary.js';
import { parseSlo, type Slo } from '../../src/metrics/slo.js';
import { RequestErrorCode, type RequestRecord } from '../../src/record/request-record.js';
import { readStoredRecords, summarizeStoredRun } from '../../src/store/store-summary.js';
import { START_NS, storeWith, variedRecords, SUMMARY_INPUT } from './store-fixture.js';

const INPUT = SUMMARY_INPUT;

const LATER_START = START_NS + 3e9;

/** variedRecords plus times never reached (NaN) where a run has them: not sent, not dispatched, never scheduled. */
function withGaps(records: RequestRecord[]): RequestRecord[] {
  return records.map((r, i) => {
    if (i % 97 === 0) return { ...r, sent: NaN, firstToken: NaN, end: NaN, error: RequestErrorCode.timeout };
    if (i % 89 === 0) return { ...r, dispatched: NaN };
    if (i % 83 === 0) return { ...r, scheduled: NaN };
    if (i % 79 === 0) return { ...r, connected: NaN };
    // Scheduled at the second input's start exactly: not after it (steady wait).
    if (i % 71 === 0) return { ...r, scheduled: LATER_START };
    return r;
  });
}

function assertSame(got: object, want: object, what: string): void {
  assert.deepEqual(got, want, what);
  assert.equal(JSON.stringify(got), JSON.stringify(want), `${what}: JSON`);
}

test("the read-back's fill (the summary's record passes over the packed batches) gives the summary of the records in memory", async () => {
  const records = withGaps(variedRecords(20_000, 37));
  const { store, seq, itlGaps, cleanup } = await storeWith(records);
  try {
    const slos = ['ttft:20ms', 'tpot:1ms', 'itl-max:2.5ms', 'e2e:60ms', 'p99(itl)<=3ms', 'p50(ttft)<1s'];
    // A tokenizer that counted some prompts (one in three rows; sampleIndex is id % 17), one disagreeing with usage.
    const counts = Int32Array.from({ length: 17 }, (_, i) => (i % 3 === 0 ? 100 + i : -1));
    const inputs: SummaryContext[] = [
      INPUT,
      // A later start: some requests scheduled before it (steady wait and the window's floor).
      { ...INPUT, startNs: LATER_START, loadPattern: 'concurrency', slos: slos.map((t) => parseSlo(t) as Slo) },
      { ...INPUT, tokens: { tokenizer: { counts, tokenizer: 'test' } } },
    ];
    for (const [i, input] of inputs.entries()) {
      const list = await readStoredRecords(store.connection, seq, { itlGaps, thread: true });
      assert.ok(list.thread !== null, 'the worker thread took the run');
      const filled = await summarizeStoredRun(store.connection, seq, input, list, itlGaps);
      const alone = await summarizeStoredRun(store.connection, seq, input, undefined, itlGaps);
      assertSame(filled, alone, `input ${i}: with the worker thread (shared series) against without`);
      const { itl_method, ...summary } = filled;
      assert.equal(itl_method?.exact, true);
      assertSame(summary, buildResultSummary({ ...input, records }), `input ${i}: against the records in memory`);
    }
    const { itl_method, ...summary } = await summarizeStoredRun(
      store.connection,
      seq,
      inputs[2],
      await readStoredRecords(store.connection, seq, { itlGaps, thread: true }),
      itlGaps,
    );
    // The records have what the comparison must cover.
    assert.ok(itl_method !== undefined);
    assert.ok(Object.keys(summary.errors).length >= 4, 'several error kinds');
    assert.ok(Object.keys(summary.errors.http_status?.by_status ?? {}).length >= 2, 'several statuses');
    assert.ok(
      summary.token_counts.input.sources.tokenizer > 0 && summary.token_counts.input.usage_vs_tokenizer !== null,
    );
    assert.ok(summary.token_counts.output.sources.none > 0 && summary.connections.new > 0);
    assert.ok(summary.client_wait.avg !== null && summary.schedule_lag.avg !== null);
  } finally {
    await cleanup();
  }
});
