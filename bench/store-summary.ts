/**
 * Time from the last record to the summary and report files, for a run of N stored records (the
 * done-when of issue 10: within 2 s for 1M). N synthetic streamed records (`--chunks` token
 * arrivals each) are appended through the run's own sink (committed every `--flush-every`
 * records, as the 250 ms timer does at ~80k records/s), then the end of a run is done as
 * run-benchmark.ts does it: the records read back once, the summary (ITL from the chunk times),
 * result_summary.json, report.txt, summary.csv and report.html written, the runs row updated.
 * Prints wall and CPU time (this process, all threads) and RSS after each phase, and the load.
 *
 * From BOUNDED_MIN_RECORDS records on (or --bounded-min N) the end is the bounded one, as RunStore
 * takes it (store/bounded-summary.ts): no read-back, the summary and report.html from the database.
 *
 *   node --import tsx bench/store-summary.ts [--records 1000000] [--chunks 16] [--flush-every 20000] [--bounded-min N] [--dist]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// --dist: the built code (`npm run build`), as the installed CLI runs it: its worker thread starts
// in ~0.1 s, where from source it loads tsx first (~0.45 s).
const from = process.argv.includes('--dist') ? '../dist/' : '../src/';
const load_ = <T>(p: string): Promise<T> => import(new URL(from + p, import.meta.url).href) as Promise<T>;
const { RecordBatchBuilder } = await load_<typeof import('../src/record/record-batch.js')>('record/record-batch.js');
const { summaryJson, writeTextAtomically } =
  await load_<typeof import('../src/report/report-files.js')>('report/report-files.js');
const { formatReportText } = await load_<typeof import('../src/report/report-text.js')>('report/report-text.js');
const { versionInfo } = await load_<typeof import('../src/metrics/version-info.js')>('metrics/version-info.js');
const { ResultsStore } = await load_<typeof import('../src/store/results-store.js')>('store/results-store.js');
const { writeSummaryCsv } = await load_<typeof import('../src/store/run-store.js')>('store/run-store.js');
const { StoreRecordSink } =
  await load_<typeof import('../src/store/store-record-sink.js')>('store/store-record-sink.js');
const { readStoredRecords, summarizeStoredRun } =
  await load_<typeof import('../src/store/store-summary.js')>('store/store-summary.js');
const { summarizeStoredRunBounded, takesBoundedEnd } =
  await load_<typeof import('../src/store/bounded-summary.js')>('store/bounded-summary.js');
const { writeRunReportHtml } =
  await load_<typeof import('../src/report/html/report-html.js')>('report/html/report-html.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const N = Number(arg('records', '1000000'));
const CHUNKS = Number(arg('chunks', '16'));
const FLUSH_EVERY = Number(arg('flush-every', '20000'));
const BOUNDED_MIN = process.argv.includes('--bounded-min') ? Number(arg('bounded-min', '0')) : undefined;
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
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
// As RunStore.open does at the run's start (the summary's git sha: a spawn).
versionInfo();
const start = 1e12;
await store.markStarted(seq, start);
const sink = await StoreRecordSink.create(await store.connect(), seq);
const builder = new RecordBatchBuilder();
let t = performance.now();
const fillCpu = process.cpuUsage();
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
  if (builder.count === 4096) sink.push(builder.take());
  if ((id + 1) % FLUSH_EVERY === 0) sink.flush();
}
sink.push(builder.take());
{
  const c = process.cpuUsage(fillCpu);
  console.log(
    `make + append ${N} records (${CHUNKS} chunk times each, committed every ${FLUSH_EVERY}): ` +
      `${((performance.now() - t) / 1000).toFixed(2)} s wall, ${((c.user + c.system) / N).toFixed(2)} µs CPU per record ` +
      `(${sink.flushes} commits, longest ${sink.longestFlushMs.toFixed(0)} ms), rss ${rss()}`,
  );
}
const endNs = start + N * 1e4 + 1e7;
const context = {
  model: 'm',
  endpoints: meta.endpoints,
  mode: 'online' as const,
  loadPattern: 'concurrency',
  streaming: true,
  reportDir: dir,
};
console.log(`load average before the end: ${load()}`);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
t = t0;
let cpuAt = cpu0;
const lap = (what: string) => {
  const now = performance.now();
  const c = process.cpuUsage(cpuAt);
  cpuAt = process.cpuUsage();
  console.log(
    `  ${what}: ${(now - t).toFixed(0)} ms wall, ${((c.user + c.system) / 1000).toFixed(0)} ms CPU, rss ${rss()}`,
  );
  t = now;
};
// As a run's end: the last batches appended and committed, then everything from the store.
sink.close();
lap('last commit');
const input = {
  state: 'complete' as const,
  startNs: start,
  endNs,
  mode: 'online' as const,
  loadPattern: 'concurrency' as const,
};
let records;
let summary;
if (takesBoundedEnd(sink.count, undefined, { boundedMin: BOUNDED_MIN })) {
  // As RunStore.summarize from BOUNDED_MIN_RECORDS on: nothing read back.
  const end = await summarizeStoredRunBounded(store.connection, seq, input, sink.itlGaps);
  summary = end.summary;
  records = end.run;
  lap(`bounded summary (ITL ${summary.itl_method?.exact ? 'exact' : 'histogram'}, ${summary.itl_method?.values} gaps)`);
} else {
  // As RunStore: the token gaps as the sink counted them, so ITL goes to the worker thread on the same scan.
  const list = await readStoredRecords(store.connection, seq, { itlGaps: sink.itlGaps });
  records = list;
  lap(`${list.count} records read back (no chunk times; ITL gaps to the worker)`);
  summary = await summarizeStoredRun(
    store.connection,
    seq,
    input,
    list,
    // As RunStore.summarize: the token gaps as the sink counted them (no count query), and the charts' options.
    sink.itlGaps,
    { startNs: start, endNs, seed: 1 },
  );
  lap(`summary (ITL ${summary.itl_method?.exact ? 'exact' : 'histogram'}, ${summary.itl_method?.values} gaps)`);
}
await store.finishRun(seq, { state: 'complete', endNs, summary });
await writeTextAtomically(path.join(dir, 'result_summary.json'), summaryJson(summary));
await writeTextAtomically(path.join(dir, 'report.txt'), formatReportText(summary, context));
await writeSummaryCsv(dir, meta, summary);
lap('runs row, result_summary.json, report.txt, summary.csv');
await writeRunReportHtml(path.join(dir, 'report.html'), {
  summary,
  context,
  records,
  startNs: start,
  endNs,
  seed: 1,
  configYaml: '',
});
lap('report.html');
const cpu = process.cpuUsage(cpu0);
console.log(
  `last record → summary + report files: ${((performance.now() - t0) / 1000).toFixed(2)} s wall, ` +
    `${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU; rss ${rss()}; load average after: ${load()}`,
);
store.close();
rmSync(dir, { recursive: true, force: true });
