/**
 * Reads a JSONL (one JSON object per line) dataset, streaming so large files do not need a
 * second in-memory copy of their text.
 */
import { BadInputError, ErrorCode } from '../errors.js';
import { sampleFromRow } from './column-mapping.js';
import { printable } from './printable-text.js';
import { readLines } from './read-lines.js';
import type { Sample } from './sample.js';

export async function readJsonlDataset(path: string): Promise<Sample[]> {
  const samples: Sample[] = [];
  for await (const { text, lineNumber } of readLines(path)) {
    if (text.trim() === '') continue;
    const where = `${path}:${lineNumber}`;
    samples.push(sampleFromRow(parseLine(text, where, lineNumber), where));
  }
  if (samples.length === 0) {
    throw new BadInputError(
      ErrorCode.datasetEmpty,
      `${path}: the dataset has no rows. Add one JSON object per line, or run without a dataset to use synthetic prompts.`,
    );
  }
  return samples;
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
