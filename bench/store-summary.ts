/**
 * Time from the last record to the summary and report files, for a run of N stored records (the
 * done-when of issue 10: within 2 s for 1M). N synthetic streamed records (`--chunks` token
 * arrivals each) are appended through the run's own sink (timed: the store's append rate), then
 * the summary is computed from the store and result_summary.json, report.txt and summary.csv are
 * written, as a run's end does. Also prints the main process's RSS after each phase.
 *
 *   node --import tsx bench/store-summary.ts [--records 1000000] [--chunks 16]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RecordBatchBuilder } from '../src/record/record-batch.js';
import { summaryJson, writeTextAtomically } from '../src/report/report-files.js';
import { formatReportText } from '../src/report/report-text.js';
import { ResultsStore } from '../src/store/results-store.js';
import { writeSummaryCsv } from '../src/store/run-store.js';
import { StoreRecordSink } from '../src/store/store-record-sink.js';
import { summarizeStoredRun } from '../src/store/store-summary.js';
import { storedItl } from '../src/store/store-itl.js';
import { readStoredBatches } from '../src/store/stored-records.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const N = Number(arg('records', '1000000'));
const CHUNKS = Number(arg('chunks', '16'));
const rss = () => `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`;

const dir = mkdtempSync(path.join(os.tmpdir(), 'store-summary-'));
const store = await ResultsStore.open(path.join(dir, 'results.duckdb'));
const meta = {
  id: 'bench',
  name: null,
  labels: {},
  startedAt: new Date(),
  reportDir: dir,
  endpoints: ['http://127.0.0.1:1'],
  model: 'm',
  mode: 'online' as const,
  loadPattern: 'concurrency',
  streaming: true,
  targetQps: null,
  shards: 1,
  configYaml: '',
  toolVersion: '0',
  gitSha: null,
  host: 'bench',
};
const seq = await store.createRun(meta);
const start = 1e12;
await store.markStarted(seq, start);
const sink = await StoreRecordSink.create(await store.connect(), seq);
const builder = new RecordBatchBuilder();
let t = performance.now();
for (let id = 0; id < N; id++) {
  const s = start + id * 1e4;
  const arrivals: number[] = [];
  for (let c = 0; c < CHUNKS; c++) arrivals.push(s + 2e6 + c * 1e5 + (id % 7));
  builder.add(
    {
      id,
      sampleIndex: id % 1000,
      shard: 0,
      endpoint: 0,
      sourceIp: '',
      streaming: true,
      reused: true,
      scheduled: s,
      dispatched: s + 10,
      connectStart: NaN,
      connected: s + 20,
      sent: s + 30 + (id % 13),
      headers: s + 1e6,
      firstChunk: s + 2e6,
      firstToken: s + 2e6 + (id % 101) * 1e3,
      end: s + 2e6 + CHUNKS * 1e5,
      chunkTimes: new Float64Array(0),
      status: 200,
      error: '',
      errorMessage: '',
      finishReason: 'stop',
      inputTokens: 100,
      outputTokens: CHUNKS,
      cachedTokens: -1,
      retries: 0,
      tokenSource: 'usage',
    },
    arrivals,
  );
  if (builder.count === 4096) {
    sink.push(builder.take());
    sink.flush();
  }
}
sink.push(builder.take());
console.log(
  `append ${N} records (${CHUNKS} chunk times each): ${((performance.now() - t) / 1000).toFixed(2)} s, rss ${rss()}`,
);
t = performance.now();
// As a run's end: the last batches appended and committed, then the summary from the store.
sink.close();
const summary = await summarizeStoredRun(store.connection, seq, {
  state: 'complete',
  startNs: start,
  endNs: start + N * 1e4 + 1e7,
  mode: 'online',
  loadPattern: 'concurrency',
});
const tSummary = performance.now() - t;
// The two parts of it: records read back, and ITL in SQL.
let t2 = performance.now();
let back = 0;
for await (const b of readStoredBatches(store.connection, seq, false)) back += b.count;
const tRead = performance.now() - t2;
t2 = performance.now();
await storedItl(store.connection, seq);
const tItl = performance.now() - t2;
console.log(`  of which: ${back} records read back ${(tRead / 1000).toFixed(2)} s, ITL ${(tItl / 1000).toFixed(2)} s`);
const text = formatReportText(summary, {
  model: 'm',
  endpoints: meta.endpoints,
  mode: 'online',
  loadPattern: 'concurrency',
  streaming: true,
  reportDir: dir,
});
await writeTextAtomically(path.join(dir, 'result_summary.json'), summaryJson(summary));
await writeTextAtomically(path.join(dir, 'report.txt'), text);
await writeSummaryCsv(dir, meta, summary);
await store.finishRun(seq, { state: 'complete', endNs: start + N * 1e4, summary });
const total = performance.now() - t;
console.log(
  `last record → summary ${(tSummary / 1000).toFixed(2)} s, → summary + report files ${(total / 1000).toFixed(2)} s ` +
    `(ITL ${summary.itl_method?.exact ? 'exact' : 'histogram'}, ${summary.itl_method?.values} gaps), rss ${rss()}`,
);
store.close();
rmSync(dir, { recursive: true, force: true });
