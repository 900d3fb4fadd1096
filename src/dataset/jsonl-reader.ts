/**
 * Reads a JSONL (one JSON object per line) dataset, streaming: one line in memory at a time, and
 * a line is only parsed when its row is read.
 */
import { BadInputError, ErrorCode } from '../errors.js';
import type { DatasetRows } from './dataset-row.js';
import { printable } from './printable-text.js';
import { readLines } from './read-lines.js';

export async function* jsonlRows(path: string): DatasetRows {
  for await (const { text, lineNumber } of readLines(path)) {
    if (text.trim() === '') continue;
    const where = `${path}:${lineNumber}`;
    yield { where, read: () => parseLine(text, where, lineNumber) };
  }
}

function parseLine(text: string, where: string, lineNumber: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // V8 quotes the text it failed on: from a binary file, that is raw control bytes.
    const reason = printable(error instanceof Error ? error.message : String(error), 200);
    // A pretty-printed JSON array fails on its first line; say what the file probably is.
    const hint =
      lineNumber === 1 && text.trimStart().startsWith('[')
        ? ' The file looks like a JSON array: give it a .json extension.'
        : '';
    throw new BadInputError(
      ErrorCode.datasetInvalidJson,
      `${where}: invalid JSON (${reason}). Each line must be one JSON object.${hint}`,
      { cause: error },
    );
  }
}
