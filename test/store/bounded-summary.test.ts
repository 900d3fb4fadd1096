import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildResultSummary, type SummaryContext } from '../../src/metrics/result-summary.js';
import { parseSlo, type Slo } from '../../src/metrics/slo.js';
import { extractRunChartData } from '../../src/report/html/run-chart-data.js';
import { BoundedStoredRun, summarizeStoredRunBounded, takesBoundedEnd } from '../../src/store/bounded-summary.js';
import { summarizeStoredRun } from '../../src/store/store-summary.js';
import { storedRunData, writeStoredReport } from '../../src/store/stored-report.js';
import { START_NS, storeWith, variedRecords, SUMMARY_INPUT } from './store-fixture.js';

const INPUT = SUMMARY_INPUT;

function slos(...texts: string[]): Slo[] {
  return texts.map((t) => parseSlo(t) as Slo);
}

/** The same figures (deepEqual), and the same result_summary.json text (key order too). */
function assertSameSummary(got: object, want: object, what: string): void {
  assert.deepEqual(got, want, what);
  assert.equal(JSON.stringify(got), JSON.stringify(want), `${what}: JSON`);
}

test('the bounded end (threshold forced low) gives the in-memory summary and report.html data of the same stored records', async () => {
  const records = variedRecords(20_000, 29);
  const { store, seq, itlGaps, cleanup } = await storeWith(records);
  try {
    const inputs: SummaryContext[] = [
      INPUT,
      {
        ...INPUT,
        loadPattern: 'concurrency',
        slos: slos(
          'ttft:20ms',
          'tpot:1ms',
          'itl-max:2.5ms',
          'e2e:60ms',
          'p99(itl)<=3ms',
          'p50(ttft)<1s',
          'avg(tpot)<=2ms',
        ),
      },
    ];
    for (const [i, input] of inputs.entries()) {
      // Alone, and with the worker thread summarizing one series while the next is read.
      const bounded = await summarizeStoredRunBounded(store.connection, seq, input, itlGaps, { thread: false });
      const threaded = await summarizeStoredRunBounded(store.connection, seq, input, itlGaps, { thread: true });
      const stored = await summarizeStoredRun(store.connection, seq, input, undefined, itlGaps);
      assertSameSummary(bounded.summary, stored, `input ${i}: bounded against the records read back`);
      assertSameSummary(threaded.summary, stored, `input ${i}: bounded with the thread against the records read back`);
      assert.deepEqual(
        await threaded.run.precomputedCharts({ startNs: START_NS, seed: 2 }),
        extractRunChartData(records, { startNs: START_NS, seed: 2 }),
      );
      const { itl_method, ...summary } = bounded.summary;
      assert.equal(itl_method?.exact, true);
      assertSameSummary(
        summary,
        buildResultSummary({ ...input, records }),
        `input ${i}: against the records in memory`,
      );
    }
    const { summary, run } = await summarizeStoredRunBounded(store.connection, seq, inputs[1], itlGaps);
    // The records have what the comparison must cover.
    assert.ok(Object.keys(summary.errors).length >= 3, 'several error kinds');
    assert.ok(Object.keys(summary.errors.http_status?.by_status ?? {}).length >= 2, 'several statuses');
    assert.ok(Object.values(summary.finish_reason_counts).filter((n) => n > 0).length >= 5, 'finish reasons');
    assert.ok(summary.token_counts.input.sources.none > 0 && summary.token_counts.output.sources.none > 0);
    assert.ok(summary.goodput !== null && summary.goodput.n_good > 0 && summary.goodput.fraction < 0.9, 'goodput');
    assert.ok(
      summary.slo?.checks.some((c) => c.slo.includes('itl') && c.value !== null),
      'p99(itl) saw the ITL',
    );
    assert.ok(summary.itl.avg !== null && summary.connections.new > 0 && summary.warnings.length > 0);
    for (const options of [
      { startNs: START_NS, endNs: INPUT.endNs, seed: 4 },
      { startNs: START_NS, seed: 9, scatterCap: 500 },
    ]) {
      assert.deepEqual(await run.precomputedCharts(options), extractRunChartData(records, options), 'chart data');
    }
    assert.throws(() => [...run], /not held in memory/);
  } finally {
    await cleanup();
  }
});

test('`llm-loadgen report` takes the bounded end from its threshold on, with the same files', async () => {
  const records = variedRecords(6000, 31);
  const { store, seq, dir, cleanup } = await storeWith(records, 'r1', { reportDir: null });
  try {
    const [run] = (await store.listRuns()).filter((r) => r.seq === seq);
    const memory = await storedRunData(store, run, { keepRecords: true });
    const bounded = await storedRunData(store, run, { keepRecords: true, boundedMin: 6000 });
    assert.ok(bounded.records instanceof BoundedStoredRun && !(memory.records instanceof BoundedStoredRun));
    assertSameSummary(bounded.summary, memory.summary, 'summary');
    assert.equal(bounded.text, memory.text);
    const out = path.join(dir, 'bounded');
    const written = await writeStoredReport(store, bounded, out, false);
    assert.ok(written.includes('report.html') && existsSync(path.join(out, 'report.html')));
    assert.equal(
      (await storedRunData(store, run, { keepRecords: true, boundedMin: 6001 })).records instanceof BoundedStoredRun,
      false,
    );
  } finally {
    await cleanup();
  }
});

test('the threshold: bounded from boundedMin records on, never with tokenizer counts or when the records are needed', () => {
  assert.equal(takesBoundedEnd(999, undefined, { boundedMin: 1000 }), false);
  assert.equal(takesBoundedEnd(1000, undefined, { boundedMin: 1000 }), true);
  assert.equal(takesBoundedEnd(1000, undefined, { boundedMin: 1000, needsRecords: true }), false);
  const tokenizer = { counts: new Int32Array(1), tokenizer: 't' };
  assert.equal(takesBoundedEnd(1000, { tokenizer }, { boundedMin: 1000 }), false);
});
