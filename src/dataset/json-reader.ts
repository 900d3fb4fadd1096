/**
 * Reads a .json dataset: one top-level array of row objects. Row errors name `file[index]`. The
 * file is parsed whole (a JSON array cannot be streamed with JSON.parse): large datasets belong in
 * JSONL, CSV or Parquet.
 */
import { readFile } from 'node:fs/promises';
import { BadInputError, ErrorCode } from '../errors.js';
import { datasetFileError } from './dataset-file-error.js';
import type { DatasetRows } from './dataset-row.js';
import { printable } from './printable-text.js';

export async function* jsonRows(path: string): DatasetRows {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw datasetFileError(path, error);
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);

  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    // V8 quotes the text it failed on: from a binary file, that is raw control bytes.
    const reason = printable(error instanceof Error ? error.message : String(error), 200);
    throw new BadInputError(
      ErrorCode.datasetInvalidJson,
      `${path}: invalid JSON (${reason}). A .json dataset must be one array of objects; ` +
        'if it has one JSON object per line, give it a .jsonl extension.',
      { cause: error },
    );
  }
  if (!Array.isArray(parsed)) {
    const got = parsed === null ? 'null' : typeof parsed === 'object' ? 'an object' : `a ${typeof parsed}`;
    throw new BadInputError(
      ErrorCode.datasetJsonNotArray,
      `${path}: expected a top-level JSON array of row objects, got ${got}. ` +
        'Wrap the rows in [...], or write one object per line in a .jsonl file.',
    );
  }
  const rows: unknown[] = parsed;
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index];
    yield { where: `${path}[${index}]`, read: () => row };
  }
}
