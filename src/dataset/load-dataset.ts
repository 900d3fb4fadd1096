/**
 * The one entry point for getting samples: a file (or save_to_disk directory) picked by its
 * format, or synthetic prompts when no path is given.
 */
import type { ColumnMap, ColumnTally } from './column-mapping.js';
import { datasetRows, readSamples, type SkippedRows } from './dataset-reader.js';
import type { Sample } from './sample.js';
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
}

export interface LoadedDataset {
  samples: Sample[];
  /** The path as given, or 'synthetic'. */
  source: string;
  /** Rows skipped as bad (--skip-bad-rows); undefined for synthetic prompts. */
  skipped?: SkippedRows;
  /** Rows per prompt column used; undefined for synthetic prompts. */
  promptColumns?: ColumnTally;
}

export async function loadDataset(path: string | undefined, options: LoadDatasetOptions): Promise<LoadedDataset> {
  if (path === undefined) {
    return { samples: syntheticDataset({ count: options.syntheticCount, seed: options.seed }), source: 'synthetic' };
  }
  const promptColumns: ColumnTally = new Map();
  const read = await readSamples(path, datasetRows(path, options.format), {
    columns: options.columns,
    limit: options.limit,
    skipBadRows: options.skipBadRows,
    tally: promptColumns,
  });
  let samples = read.samples;
  if (options.shuffle === true && samples.length > 1) {
    const order = sampleOrder(samples.length, samples.length, options.seed, true);
    const rows = samples;
    samples = Array.from(order, (row) => rows[row]);
  }
  return { samples, source: path, skipped: read.skipped, promptColumns };
}
