/**
 * Reads a Parquet dataset with hyparquet, one row group at a time (a row group is the unit
 * Parquet compresses, typically up to ~1M rows), so a large file never sits in memory whole.
 * Errors name the row index (Parquet has no lines): `data.parquet: row 12`.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { BadInputError, ErrorCode } from '../errors.js';
import { datasetFileError } from './dataset-file-error.js';
import type { DatasetRows } from './dataset-row.js';
import { printable } from './printable-text.js';

export async function* parquetRows(path: string): DatasetRows {
  let file;
  let metadata;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw malformed(path, error);
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file, metadata, rowStart, rowEnd });
    } catch (error) {
      throw malformed(path, error, `rows ${rowStart}-${rowEnd - 1}`);
    }
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      yield { where: `${path}: row ${rowStart + i}`, read: () => row };
    }
    rowStart = rowEnd;
  }
}

function malformed(path: string, error: unknown, where?: string): unknown {
  const fs = datasetFileError(path, error);
  if (fs !== error) return fs;
  const reason = printable(error instanceof Error ? error.message : String(error), 200);
  return new BadInputError(
    ErrorCode.datasetMalformedFile,
    `${path}${where === undefined ? '' : `: ${where}`}: not a readable Parquet file (${reason}). Check the file, or export it again.`,
    { cause: error },
  );
}
