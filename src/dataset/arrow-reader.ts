/**
 * Reads a directory written by Hugging Face `datasets` `save_to_disk`: `state.json` lists the
 * Arrow files (`data-00000-of-00002.arrow`, …) in order, `dataset_info.json` describes the
 * features. The files are the Arrow IPC *stream* format; apache-arrow reads them one record batch
 * at a time. A `DatasetDict` (dataset_dict.json with splits) is read from its `train` split, or
 * its first. Errors name the file and row index: `…/data-00000-of-00001.arrow: row 5`.
 */
import { createReadStream } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordBatchReader, Vector } from 'apache-arrow';
import { BadInputError, ErrorCode } from '../errors.js';
import { datasetFileError } from './dataset-file-error.js';
import type { DatasetRows } from './dataset-row.js';
import { printable } from './printable-text.js';

export async function* arrowDirRows(dir: string): DatasetRows {
  for (const file of await arrowFiles(dir)) yield* arrowFileRows(file);
}

/** The Arrow files of the dataset, in the order `state.json` gives (else by name). */
export async function arrowFiles(dir: string): Promise<string[]> {
  const dict = await readJson(join(dir, 'dataset_dict.json'));
  if (dict !== undefined) {
    const splits = isRecord(dict) && Array.isArray(dict.splits) ? dict.splits.filter((s) => typeof s === 'string') : [];
    const split = splits.includes('train') ? 'train' : splits[0];
    if (split === undefined) throw malformed(join(dir, 'dataset_dict.json'), 'no splits listed');
    return arrowFiles(join(dir, split));
  }
  const state = await readJson(join(dir, 'state.json'));
  if (state !== undefined) {
    const files = isRecord(state) && Array.isArray(state._data_files) ? state._data_files : null;
    const names = files?.map((f: unknown) => (isRecord(f) && typeof f.filename === 'string' ? f.filename : null));
    if (names === undefined || names === null || names.some((n) => n === null) || names.length === 0) {
      throw malformed(join(dir, 'state.json'), 'no _data_files [{filename}] list');
    }
    return (names as string[]).map((n) => join(dir, n));
  }
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    throw datasetFileError(dir, error);
  }
  const arrows = entries.filter((e) => e.endsWith('.arrow')).sort();
  if (arrows.length === 0) throw malformed(dir, 'no state.json and no .arrow files');
  return arrows.map((n) => join(dir, n));
}

async function* arrowFileRows(file: string): DatasetRows {
  const stream = createReadStream(file);
  let row = 0;
  try {
    const reader = await RecordBatchReader.from(stream);
    for await (const batch of reader) {
      for (let i = 0; i < batch.numRows; i++) {
        const value = batch.get(i);
        const where = `${file}: row ${row++}`;
        yield { where, read: () => plain(value) };
      }
    }
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    const fs = datasetFileError(file, error);
    if (fs !== error) throw fs;
    throw malformed(file, error instanceof Error ? error.message : String(error), row);
  } finally {
    stream.destroy();
  }
}

/** An Arrow value as plain JSON-like data: struct rows become objects, lists arrays. */
function plain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Vector) return Array.from(value as Iterable<unknown>, plain);
  if (ArrayBuffer.isView(value)) return value;
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const json = toJSON.call(value);
    if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(json)) out[k] = plain(v);
      return out;
    }
    return Array.isArray(json) ? json.map(plain) : json;
  }
  return value;
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw datasetFileError(file, error);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed(file, 'not valid JSON');
  }
}

function malformed(file: string, reason: string, row?: number): BadInputError {
  return new BadInputError(
    ErrorCode.datasetMalformedFile,
    `${file}${row === undefined ? '' : `: row ${row}`}: not a readable Hugging Face save_to_disk dataset (${printable(reason, 200)}). ` +
      'Save it again with datasets.Dataset.save_to_disk, or export it to JSONL or Parquet.',
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
