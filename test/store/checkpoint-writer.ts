/**
 * Child process of store-kill-checkpoint.test.ts: appends the same 2,000 records to a new run of
 * the database at argv[2] over and over through the run's own sink, with the checkpoint threshold
 * cut to 256 KB so that every commit (~0.5 MB of WAL) also checkpoints. Before each commit it
 * prints `flush`, after it `committed <records stored so far> <ms the commit took>`, until killed.
 */
import { ResultsStore } from '../../src/store/results-store.js';
import { StoreRecordSink } from '../../src/store/store-record-sink.js';
import { START_NS, batchesOf, makeRecords, runMeta } from './store-fixture.js';

const [file, id] = process.argv.slice(2);
const store = await ResultsStore.open(file);
await store.connection.run(`SET checkpoint_threshold = '256KB'`);
const seq = await store.createRun(runMeta(id));
await store.markStarted(seq, START_NS);
const sink = await StoreRecordSink.create(await store.connect(), seq);
const batches = batchesOf(makeRecords(2000, 11));
for (;;) {
  for (const b of batches) sink.push(b);
  process.stdout.write('flush\n');
  const t0 = performance.now();
  sink.flush();
  if (sink.error !== null) throw sink.error;
  process.stdout.write(`committed ${sink.count} ${(performance.now() - t0).toFixed(1)}\n`);
  // A turn of the loop, so the parent's kill can also land between commits.
  await new Promise((r) => setImmediate(r));
}
