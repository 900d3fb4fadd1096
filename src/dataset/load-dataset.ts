/**
 * The one entry point for getting samples: a file picked by its extension, or synthetic prompts
 * when no path is given.
 */
import { extname } from 'node:path';
import { BadInputError, ErrorCode } from '../errors.js';
import type { ColumnMap } from './column-mapping.js';
import { readJsonDataset } from './json-reader.js';
import { readJsonlDataset } from './jsonl-reader.js';
import type { Sample } from './sample.js';
import { sampleOrder } from './sample-order.js';
import { syntheticDataset } from './synthetic-dataset.js';

export interface LoadDatasetOptions {
  /** How many synthetic prompts to make when no path is given. */
  syntheticCount: number;
  /** Seeds the synthetic prompts and the shuffle. */
  seed: number;
  /** `jsonl`/`ndjson`/`json` when the extension does not say (MLPerf Endpoints' `format`). */
  format?: string;
  /** Column remapping (MLPerf Endpoints' `parser`). */
  columns?: ColumnMap;
  /** Keep only the first N rows (MLPerf Endpoints' `samples`). */
  limit?: number;
  /** Send rows in a seeded random order (MLPerf Endpoints shuffles with dataloader_random_seed). */
  shuffle?: boolean;
}

export interface LoadedDataset {
  samples: Sample[];
  /** The path as given, or 'synthetic'. */
  source: string;
}

const READERS: Readonly<Record<string, (path: string, columns?: ColumnMap) => Promise<Sample[]>>> = {
  '.jsonl': readJsonlDataset,
  '.ndjson': readJsonlDataset,
  '.json': readJsonDataset,
};

export async function loadDataset(path: string | undefined, options: LoadDatasetOptions): Promise<LoadedDataset> {
  if (path === undefined) {
    return { samples: syntheticDataset({ count: options.syntheticCount, seed: options.seed }), source: 'synthetic' };
  }
  const extension =
    options.format !== undefined ? '.' + options.format.replace(/^\./, '').toLowerCase() : extname(path).toLowerCase();
  const reader = Object.hasOwn(READERS, extension) ? READERS[extension] : undefined;
  if (reader === undefined) {
    throw new BadInputError(
      ErrorCode.datasetFormatUnsupported,
      `${path}: unsupported dataset format ${extension === '' ? '(no extension)' : `'${extension}'`}. ` +
        'Supported: .jsonl or .ndjson (one JSON object per line), .json (one array of objects). Convert or rename the file.',
    );
  }
  let samples = await reader(path, options.columns);
  if (options.limit !== undefined && options.limit < samples.length) samples = samples.slice(0, options.limit);
  if (options.shuffle === true && samples.length > 1) {
    const order = sampleOrder(samples.length, samples.length, options.seed, true);
    const rows = samples;
    samples = Array.from(order, (row) => rows[row]);
  }
  return { samples, source: path };
}
