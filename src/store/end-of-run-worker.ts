/**
 * The worker thread of end-of-run-thread.ts: takes the stored chunk times as the main thread
 * reads the run back (the ITL accumulator), then report.html's chart pass over the read-back
 * batches (their typed arrays are shared memory, not copies). Messages are handled in order.
 * Imports nothing of DuckDB: the main thread owns the database.
 */
import { parentPort } from 'node:worker_threads';
import { summarizeSeriesJob } from '../metrics/series-jobs.js';
import { extractRunChartData } from '../report/html/run-chart-data.js';
import { itlAccumulator, type ItlAccumulator, type StoredItl } from './itl-accumulator.js';
import { StoredRecordList } from './stored-record-list.js';
import type { ToEndOfRunWorker } from './end-of-run-thread.js';

const port = parentPort!;
let itl: ItlAccumulator | null = null;
let itlResult: StoredItl | null = null;
let taken: number[] = [];

port.on('message', (m: ToEndOfRunWorker) => {
  try {
    switch (m.kind) {
      case 'itl':
        itl = itlAccumulator(m.count, m.seq, m.exactMax);
        break;
      case 'chunk':
        itl!.add(m.child, m.entries, m.rows, m.keep);
        // The slots back, 8 at a time: the main thread reuses them, and its read-back waits when this thread falls behind.
        taken.push(m.slot);
        if (taken.length === 8) {
          port.postMessage({ kind: 'taken', slots: taken });
          taken = [];
        }
        break;
      case 'itl-end':
        itlResult = itl!.finish();
        itl = null;
        port.postMessage({ kind: 'itl', result: itlResult });
        break;
      case 'charts': {
        const records = new StoredRecordList();
        for (const b of m.batches) records.push(b);
        records.itlDistribution = itlResult?.chart ?? null;
        port.postMessage({ kind: 'charts', result: extractRunChartData(records, m.options) });
        break;
      }
      case 'jobs':
        port.postMessage({ kind: 'jobs', result: m.jobs.map(summarizeSeriesJob) });
        break;
      case 'exit':
        port.close();
        break;
    }
  } catch (err) {
    itl = null;
    port.postMessage({ kind: 'error', message: String((err as Error)?.message ?? err) });
  }
});
