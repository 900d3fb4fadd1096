/**
 * Which reader a dataset path takes (by `format=`, else the extension, else "a save_to_disk
 * directory"), and the one loop that turns rows into samples: bad rows fail the load naming
 * file:line (or row index), or with --skip-bad-rows are skipped and counted.
 */
import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { BadInputError, ErrorCode } from '../errors.js';
import { sampleFromRow, type ColumnMap, type ColumnTally } from './column-mapping.js';
import { datasetFileError } from './dataset-file-error.js';
import type { DatasetRows } from './dataset-row.js';
import { jsonRows } from './json-reader.js';
import { jsonlRows } from './jsonl-reader.js';
import type { Sample } from './sample.js';
import { isSaveToDiskDir } from './save-to-disk-dir.js';

type Reader = (path: string) => DatasetRows;

/**
 * Readers whose libraries are loaded only when a file needs them: every CLI start and every shard
 * process would otherwise pay for apache-arrow (~20 MB RSS, ~0.3 s), hyparquet and csv-parse.
 */
function lazy(load: () => Promise<Reader>): Reader {
  return async function* (path: string) {
    yield* (await load())(path);
  };
}
const csvRows = lazy(async () => (await import('./csv-reader.js')).csvRows);
const parquetRows = lazy(async () => (await import('./parquet-reader.js')).parquetRows);
const arrowDirRows = lazy(async () => (await import('./arrow-reader.js')).arrowDirRows);

const READERS: Readonly<Record<string, Reader>> = {
  jsonl: jsonlRows,
  ndjson: jsonlRows,
  json: jsonRows,
  csv: csvRows,
  parquet: parquetRows,
  // MLPerf Endpoints' name for a Hugging Face dataset; `arrow` for the directory of .arrow files.
  huggingface: arrowDirRows,
  arrow: arrowDirRows,
};

/** Bad-row messages kept for the console (the rest are only counted). */
const SKIPPED_SHOWN = 5;

/** The rows of the dataset at `path`. Throws BadInputError for a missing path or an unknown format. */
export function datasetRows(path: string, format?: string): DatasetRows {
  const name = format !== undefined ? format.replace(/^\./, '').toLowerCase() : formatOf(path);
  const reader = Object.hasOwn(READERS, name) ? READERS[name] : undefined;
  if (reader === undefined) {
    throw new BadInputError(
      ErrorCode.datasetFormatUnsupported,
      `${path}: unsupported dataset format ${name === '' ? '(no extension)' : `'${name}'`}. ` +
        'Supported: .jsonl or .ndjson (one JSON object per line), .json (one array of objects), .csv (a header row), ' +
        '.parquet, or a Hugging Face save_to_disk directory (format=huggingface). Convert or rename the file, or add format=….',
    );
  }
  return reader(path);
}

function formatOf(path: string): string {
  let directory: boolean;
  try {
    directory = statSync(path).isDirectory();
  } catch (error) {
    throw datasetFileError(path, error);
  }
  if (directory) {
    if (isSaveToDiskDir(path)) return 'huggingface';
    throw new BadInputError(
      ErrorCode.datasetUnreadable,
      `${path}: is a directory without state.json or dataset_info.json. Give the path of a dataset file, ` +
        'or of a directory written by Hugging Face save_to_disk.',
    );
  }
  return extname(path).slice(1).toLowerCase();
}

export interface ReadSamplesOptions {
  columns?: ColumnMap;
  /** Read at most this many good rows (MLPerf Endpoints' `samples`). */
  limit?: number;
  /** Skip and count bad rows instead of failing (--skip-bad-rows). */
  skipBadRows?: boolean;
  /**
   * Where good row `index` goes in `samples` (-1: not kept). Default: every row, in order. A
   * shard passes its own placement so it holds only its rows.
   */
  place?: (index: number) => number;
  /** Size of `samples` when `place` is given. */
  slots?: number;
  /**
   * Raw row positions already known to be bad (from an earlier pass): skipped without being read,
   * and every other row is read only when `place` keeps it.
   */
  knownBad?: ReadonlySet<number>;
  /** Counts the prompt column each row used. */
  tally?: ColumnTally;
}

export interface SkippedRows {
  count: number;
  /** The first few reasons, each starting with file:line. */
  first: string[];
  /** Raw positions (every row the reader yielded, good or bad) of the skipped rows. */
  positions: number[];
}

export interface ReadSamples {
  samples: Sample[];
  /** Good rows (after the limit). */
  rows: number;
  skipped: SkippedRows;
}

export async function readSamples(path: string, rows: DatasetRows, options: ReadSamplesOptions): Promise<ReadSamples> {
  const { columns, limit, place, knownBad, tally } = options;
  const samples: Sample[] = place === undefined ? [] : new Array<Sample>(options.slots ?? 0);
  const skipped: SkippedRows = { count: 0, first: [], positions: [] };
  let good = 0;
  let position = -1;
  for await (const row of rows) {
    position++;
    if (limit !== undefined && good >= limit) break;
    if (knownBad?.has(position) === true) continue;
    const slot = place === undefined ? good : place(good);
    if (slot < 0 && knownBad !== undefined) {
      good++;
      continue;
    }
    let sample: Sample;
    try {
      sample = sampleFromRow(row.read(), row.where, columns, tally);
    } catch (error) {
      if (options.skipBadRows !== true || !(error instanceof BadInputError)) throw error;
      skipped.count++;
      skipped.positions.push(position);
      if (skipped.first.length < SKIPPED_SHOWN) skipped.first.push(error.message);
      continue;
    }
    if (slot >= 0) samples[slot] = sample;
    good++;
  }
  if (good === 0) {
    const all = skipped.count > 0 ? ` (all ${skipped.count} rows were bad; the first: ${skipped.first[0]})` : '';
    throw new BadInputError(
      ErrorCode.datasetEmpty,
      `${path}: the dataset has no rows${all}. Add rows, or run without a dataset to use synthetic prompts.`,
    );
  }
  return { samples, rows: good, skipped };
}
