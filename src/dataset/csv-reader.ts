/**
 * Reads a CSV dataset (a header row, then one row per sample) with csv-parse, streaming. Cells are
 * strings; an output-cap column's digits become a number and its empty cell "no cap". A record
 * csv-parse rejects (a wrong number of cells) is a bad row naming `file:line`; a file it cannot
 * parse at all (an unclosed quote) is dataset_malformed_file.
 */
import { createReadStream } from 'node:fs';
import { parse, CsvError } from 'csv-parse';
import { BadInputError, ErrorCode } from '../errors.js';
import { OUTPUT_CAP_COLUMNS } from './column-mapping.js';
import { datasetFileError } from './dataset-file-error.js';
import type { DatasetRow, DatasetRows } from './dataset-row.js';
import { printable } from './printable-text.js';

const CAP_COLUMNS: ReadonlySet<string> = new Set(OUTPUT_CAP_COLUMNS);

export async function* csvRows(path: string): DatasetRows {
  // csv-parse reports a skipped record before it hands over the records above it: yield in line order.
  const skipped: (DatasetRow & { line: number })[] = [];
  const parser = parse({
    columns: true,
    bom: true,
    info: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      const line = typeof err?.lines === 'number' ? err.lines : 0;
      const where = `${path}:${line}`;
      const reason = printable(err?.message ?? 'unparsable record', 200);
      skipped.push({
        line,
        where,
        read: () => {
          throw new BadInputError(ErrorCode.datasetMalformedFile, `${where}: ${reason}`);
        },
      });
      return undefined;
    },
    cast: (value, context) => (context.header || !CAP_COLUMNS.has(String(context.column)) ? value : castCap(value)),
  });
  const stream = createReadStream(path);
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(parser);
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, unknown>; info: { lines: number } }>) {
      while (skipped.length > 0 && skipped[0].line < item.info.lines) yield skipped.shift()!;
      const { record } = item;
      // info.lines is the record's last line (a quoted cell may span lines).
      yield { where: `${path}:${item.info.lines}`, read: () => record };
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const line = typeof error.lines === 'number' ? `:${error.lines}` : '';
      throw new BadInputError(
        ErrorCode.datasetMalformedFile,
        `${path}${line}: not valid CSV (${printable(error.message, 200)}). Fix the file, or export it again.`,
        { cause: error },
      );
    }
    throw datasetFileError(path, error);
  } finally {
    stream.destroy();
  }
  while (skipped.length > 0) yield skipped.shift()!;
}

function castCap(value: string): unknown {
  if (value.trim() === '') return null;
  return /^\s*\d+\s*$/.test(value) ? Number(value) : value;
}
