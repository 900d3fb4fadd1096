/**
 * A shard that reads the dataset itself holds exactly the rows, in the same order, that the main
 * process would have sent it: rows i, i + N, … of the seeded shuffle (run/shard-split.ts), with
 * bad rows skipped and the limit applied as the main process did.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadDataset } from '../../src/dataset/load-dataset.js';
import { loadShardSamples, withShardSource } from '../../src/dataset/shard-dataset.js';
import { loopbackPlan } from '../fixtures/shard-plan.js';
import { badInput } from './bad-input.js';
import { writeParquet } from './dataset-fixtures.js';
import { makeTempFiles, type TempFiles } from './temp-files.js';

let files: TempFiles;
before(async () => {
  files = await makeTempFiles();
});
after(async () => {
  await files.cleanup();
});

/** What run/shard-split.ts gives shard i of n from the rows loaded in the main process. */
function splitInMain<T>(rows: T[], i: number, n: number): T[] {
  return rows.length >= n ? rows.filter((_, p) => p % n === i) : rows;
}

/** The shard's rows' dataset rows, as run/shard-split.ts gives them (ShardPlan.sampleRows). */
function rowsInMain(rowOf: Uint32Array, i: number, n: number): number[] {
  return rowOf.length >= n ? [...rowOf].filter((_, p) => p % n === i) : [...rowOf];
}

test('each shard reads its own rows of the seeded shuffle, skipping bad rows and honouring the limit', async () => {
  const lines = Array.from({ length: 23 }, (_, i) =>
    i === 5 ? '{"prompt":' : i === 9 ? '{"x":1}' : `{"prompt":"row ${i}"}`,
  );
  const jsonl = await files.write('rows.jsonl', lines.join('\n') + '\n\n');
  const parquet = await writeParquet(
    join(files.dir, 'rows.parquet'),
    "SELECT 'row ' || i AS question FROM range(17) t(i)",
    4,
  );
  for (const path of [jsonl, parquet]) {
    for (const limit of [undefined, 12]) {
      const options = { syntheticCount: 0, seed: 7, shuffle: true, skipBadRows: true, limit };
      const inMain = await loadDataset(path, options);
      const checked = await loadDataset(path, { ...options, shardReadBytes: 0 });
      assert.deepEqual(checked.samples, [], 'the main process keeps no rows');
      assert.equal(checked.rows, inMain.samples.length);
      assert.deepEqual(checked.skipped, inMain.skipped);
      const source = checked.shardSource!;
      for (const n of [1, 2, 3, 5, 40]) {
        const partitioned = source.rows >= n;
        for (let i = 0; i < n; i++) {
          const own = await loadShardSamples(source, i, n, partitioned);
          const where = `${path} limit ${limit} shard ${i} of ${n}`;
          assert.deepEqual(own.samples, splitInMain(inMain.samples, i, n), where);
          assert.deepEqual([...own.sampleRows!], rowsInMain(inMain.rowOf!, i, n), `${where}: dataset rows`);
        }
      }
    }
  }
});

test('plans for a dataset the shards read carry the source, not the rows', async () => {
  const path = await files.write('few.jsonl', '{"prompt":"a"}\n{"prompt":"b"}\n');
  const checked = await loadDataset(path, { syntheticCount: 0, seed: 1, shardReadBytes: 0 });
  const plans = withShardSource(
    [0, 1, 2].map((i) => loopbackPlan(1, { shardIndex: i, shardCount: 3, samples: [] })),
    checked.shardSource,
  );
  for (const p of plans) {
    assert.deepEqual(p.samples, []);
    assert.equal(p.samplesPartitioned, false, 'two rows over three shards: every shard has every row');
    assert.equal(p.datasetSource, checked.shardSource);
  }
});

test('a file that changed after the check is an error naming it', async () => {
  const path = await files.write('moving.jsonl', '{"prompt":"a"}\n{"prompt":"b"}\n{"prompt":"c"}\n');
  const checked = await loadDataset(path, { syntheticCount: 0, seed: 1, shardReadBytes: 0 });
  await files.write('moving.jsonl', '{"prompt":"a"}\n');
  await assert.rejects(
    loadShardSamples(checked.shardSource!, 0, 1, true),
    badInput('dataset_unreadable', /moving\.jsonl: the dataset changed/),
  );
});
