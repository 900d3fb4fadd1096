/**
 * The one entry point for getting samples: a file picked by its extension, or synthetic prompts
 * when no path is given.
 */
import { extname } from 'node:path';
import { BadInputError, ErrorCode } from '../errors.js';
import { readJsonDataset } from './json-reader.js';
import { readJsonlDataset } from './jsonl-reader.js';
import type { Sample } from './sample.js';
import { syntheticDataset } from './synthetic-dataset.js';

export interface LoadDatasetOptions {
  /** How many synthetic prompts to make when no path is given. */
  syntheticCount: number;
  seed: number;
}

export interface LoadedDataset {
  samples: Sample[];
  /** The path as given, or 'synthetic'. */
  source: string;
}

const READERS: Readonly<Record<string, (path: string) => Promise<Sample[]>>> = {
  '.jsonl': readJsonlDataset,
  '.ndjson': readJsonlDataset,
  '.json': readJsonDataset,
};

export async function loadDataset(path: string | undefined, options: LoadDatasetOptions): Promise<LoadedDataset> {
  if (path === undefined) {
    return { samples: syntheticDataset({ count: options.syntheticCount, seed: options.seed }), source: 'synthetic' };
  }
  const extension = extname(path).toLowerCase();
  const reader = Object.hasOwn(READERS, extension) ? READERS[extension] : undefined;
  if (reader === undefined) {
    throw new BadInputError(
      ErrorCode.datasetFormatUnsupported,
      `${path}: unsupported dataset format ${extension === '' ? '(no extension)' : `'${extension}'`}. ` +
        'Supported: .jsonl or .ndjson (one JSON object per line), .json (one array of objects). Convert or rename the file.',
    );
  }
  return { samples: await reader(path), source: path };
}
