/** Test helper: every sample of a dataset read with one reader, as the loader reads it. */
import type { ColumnMap } from '../../src/dataset/column-mapping.js';
import type { DatasetRows } from '../../src/dataset/dataset-row.js';
import { readSamples } from '../../src/dataset/dataset-reader.js';
import type { Sample } from '../../src/dataset/sample.js';

export async function readAll(
  path: string,
  reader: (path: string) => DatasetRows,
  columns?: ColumnMap,
): Promise<Sample[]> {
  return (await readSamples(path, reader(path), { columns })).samples;
}
