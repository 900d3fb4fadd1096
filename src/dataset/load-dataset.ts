/**
 * The one entry point for getting samples: a file (or save_to_disk directory) picked by its
 * format, or synthetic prompts when no path is given.
 */
import type { ColumnMap, ColumnTally } from './column-mapping.js';
import { datasetRows, readSamples, type SkippedRows } from './dataset-reader.js';
import type { Sample } from './sample.js';
import { datasetBytes, type ShardDatasetSource } from './shard-dataset.js';
import { sampleOrder } from './sample-order.js';
import { syntheticDataset } from './synthetic-dataset.js';

export interface LoadDatasetOptions {
  /** How many synthetic prompts to make when no path is given. */
  syntheticCount: number;
  /** Seeds the synthetic prompts and the shuffle. */
  seed: number;
  /** `jsonl`/`ndjson`/`json`/`csv`/`parquet`/`huggingface` when the path does not say (MLPerf Endpoints' `format`). */
  format?: string;
  /** Column remapping (MLPerf Endpoints' `parser`). */
  columns?: ColumnMap;
  /** Keep only the first N rows (MLPerf Endpoints' `samples`). */
  limit?: number;
  /** Send rows in a seeded random order (MLPerf Endpoints shuffles with dataloader_random_seed). */
  shuffle?: boolean;
  /** Skip and count bad rows instead of exiting 2 (--skip-bad-rows). */
  skipBadRows?: boolean;
  /**
   * Files of at least this many bytes are only checked and counted here, and read by the shards
   * (`shardSource`); default: always kept here.
   */
  shardReadBytes?: number;
}

export interface LoadedDataset {
  samples: Sample[];
  /** The path as given, or 'synthetic'. */
  source: string;
  /** Rows skipped as bad (--skip-bad-rows); undefined for synthetic prompts. */
  skipped?: SkippedRows;
  /** Rows per prompt column used; undefined for synthetic prompts. */
  promptColumns?: ColumnTally;
  /** Good rows (equal to samples.length unless the shards read them). */
  rows: number;
  /** Set when the shards read their rows themselves; `samples` is then empty. */
  shardSource?: ShardDatasetSource;
  /**
   * The dataset row of samples[k] when they were shuffled (records' sample_index is the row, as
   * MLPerf's sample index is, never the position in the send order); absent: samples[k] is row k.
   */
  rowOf?: Uint32Array;
}

/** The samples in dataset-row order (indexed by records' sampleIndex), whatever order they are sent in. */
export function samplesByRow(dataset: Pick<LoadedDataset, 'samples' | 'rowOf'>): Sample[] {
  const { samples, rowOf } = dataset;
  if (rowOf === undefined) return samples;
  const byRow = new Array<Sample>(samples.length);
  for (let k = 0; k < samples.length; k++) byRow[rowOf[k]] = samples[k];
  return byRow;
}

export async function loadDataset(path: string | undefined, options: LoadDatasetOptions): Promise<LoadedDataset> {
  if (path === undefined) {
    const samples = syntheticDataset({ count: options.syntheticCount, seed: options.seed });
    return { samples, source: 'synthetic', rows: samples.length };
  }
  const promptColumns: ColumnTally = new Map();
  const rows = datasetRows(path, options.format);
  const byShards = options.shardReadBytes !== undefined && (await datasetBytes(path)) >= options.shardReadBytes;
  const read = await readSamples(path, rows, {
    columns: options.columns,
    limit: options.limit,
    skipBadRows: options.skipBadRows,
    tally: promptColumns,
    // Checked and counted, none kept: the shards read their own rows.
    ...(byShards ? { place: () => -1, slots: 0 } : {}),
  });
  if (byShards) {
    const shardSource: ShardDatasetSource = {
      path,
      format: options.format,
      columns: options.columns,
      limit: options.limit,
      rows: read.rows,
      skippedPositions: read.skipped.positions,
      shuffle: options.shuffle === true,
      seed: options.seed,
    };
    return { samples: [], source: path, skipped: read.skipped, promptColumns, rows: read.rows, shardSource };
  }
  let samples = read.samples;
  let rowOf: Uint32Array | undefined;
  if (options.shuffle === true && samples.length > 1) {
    rowOf = sampleOrder(samples.length, samples.length, options.seed, true);
    const rows = samples;
    samples = Array.from(rowOf, (row) => rows[row]);
  }
  return { samples, source: path, skipped: read.skipped, promptColumns, rows: read.rows, rowOf };
}
