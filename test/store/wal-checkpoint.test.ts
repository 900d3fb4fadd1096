/**
 * The record sink checkpoints DuckDB's WAL itself, on a connection of its own (a DuckDB worker
 * thread), instead of DuckDB checkpointing inside a commit on the main thread; it commits nothing
 * while a checkpoint runs (the rows are held, then appended in order). The WAL stays bounded, and
 * the rows stored through the held path are the rows stored without it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ResultsStore } from '../../src/store/results-store.js';
import { StoreRecordSink } from '../../src/store/store-record-sink.js';
import { WalCheckpointer } from '../../src/store/wal-checkpointer.js';
import { batchesOf, makeRecords, runMeta, START_NS, storeWith } from './store-fixture.js';

const ROWS_SQL = `SELECT id, sample_index, streaming, status, error, cached_tokens, token_source, sent, first_token, "end",
  chunk_times, source_ip FROM requests ORDER BY id`;

test('the sink checkpoints off its commits: WAL bounded, no commit while a checkpoint runs, rows as stored without checkpoints', async () => {
  const records = makeRecords(40_000, 7);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llm-loadgen-wal-'));
  const plain = await storeWith(records, 'plain');
  try {
    const store = await ResultsStore.open(path.join(dir, 'results.duckdb'));
    try {
      const seq = await store.createRun(runMeta('ck'));
      await store.markStarted(seq, START_NS);
      const limit = 256 * 1024;
      const ck = new WalCheckpointer(await store.connect(), `${store.file}.wal`, limit);
      const sink = await StoreRecordSink.create(await store.connect(), seq, ck);
      let maxWal = 0;
      let heldFlushes = 0;
      // The WAL's size as each checkpoint ends, before the sink commits the rows held meanwhile
      // (sampling after each flush missed resets under load: the held rows outgrew the last sample).
      const walAtEnds: number[] = [];
      const commitHeld = ck.onEnd;
      ck.onEnd = () => {
        walAtEnds.push(ck.walBytes());
        commitHeld?.();
      };
      for (const b of batchesOf(records, 500)) {
        sink.push(b);
        const running = ck.running;
        const commits = sink.flushes;
        sink.flush();
        if (running) {
          heldFlushes++;
          assert.equal(sink.flushes, commits, 'no commit while a checkpoint runs');
        }
        maxWal = Math.max(maxWal, ck.walBytes());
        // 500 records per 2 ms: 250k records/s, 12× a live run's top rate; the rows held during a checkpoint are what the WAL holds beyond its limit.
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      sink.close();
      assert.equal(sink.error, null);
      assert.ok(ck.checkpoints >= 2, `${ck.checkpoints} checkpoints`);
      assert.ok(heldFlushes > 0, 'some flushes came while a checkpoint ran (the held path)');
      // The same records committed without the sink's checkpoints: DuckDB's own threshold (a 1 GB
      // backstop) lets their whole WAL pile up. With them the WAL is reset at each checkpoint: it
      // holds at most the limit plus the rows committed after a checkpoint (those held while it ran).
      const plainWal = statSync(`${plain.store.file}.wal`).size;
      assert.ok(walAtEnds.length >= 2, `${walAtEnds.length} checkpoints ended`);
      for (const wal of walAtEnds) assert.ok(wal < limit, `WAL ${wal} bytes as a checkpoint ended (limit ${limit})`);
      // Rows held during one long checkpoint (seconds under load) are committed after it: below the
      // whole run's WAL is all that timing allows to assert about the peak.
      assert.ok(maxWal < plainWal, `WAL peaked at ${maxWal} bytes; ${plainWal} without the sink's checkpoints`);
      const stored = (await store.connection.runAndReadAll(ROWS_SQL)).getRowsJson();
      const expected = (await plain.store.connection.runAndReadAll(ROWS_SQL)).getRowsJson();
      assert.equal(stored.length, records.length);
      assert.deepEqual(stored, expected);
    } finally {
      store.close();
    }
  } finally {
    await plain.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});
