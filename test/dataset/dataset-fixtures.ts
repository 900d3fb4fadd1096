/**
 * Test helper: dataset files in the formats users bring, written with the libraries that write
 * them for real — Parquet by DuckDB, a Hugging Face save_to_disk directory as Arrow IPC stream
 * files with apache-arrow (what `datasets` writes), ShareGPT as JSON.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Field, List, Struct, Table, Utf8, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow';

/** Writes `SELECT …` to a Parquet file (`rowGroupSize` rows per row group). */
export async function writeParquet(path: string, select: string, rowGroupSize = 122_880): Promise<string> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    await connection.run(
      `COPY (${select}) TO '${path.replaceAll("'", "''")}' (FORMAT parquet, ROW_GROUP_SIZE ${rowGroupSize})`,
    );
  } finally {
    connection.closeSync();
    db.closeSync();
  }
  return path;
}

export type ShareGptTurn = { from: string; value: string };

/** A ShareGPT `conversations` column (list<struct<from, value>>) for an Arrow table. */
export function conversationsVector(conversations: ShareGptTurn[][]): Vector {
  const turn = new Struct([new Field('from', new Utf8()), new Field('value', new Utf8())]);
  return vectorFromArray(conversations, new List(new Field('item', turn)));
}

/**
 * A directory as `datasets.Dataset.save_to_disk` writes it: the rows split over `shards` Arrow
 * stream files `data-0000i-of-0000N.arrow`, listed in state.json, and dataset_info.json.
 */
export async function writeSaveToDisk(
  dir: string,
  columns: Record<string, (rows: [number, number]) => Vector>,
  rows: number,
  shards = 1,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const files: { filename: string }[] = [];
  for (let s = 0; s < shards; s++) {
    const from = Math.floor((rows * s) / shards);
    const to = Math.floor((rows * (s + 1)) / shards);
    const table = new Table(
      Object.fromEntries(Object.entries(columns).map(([name, make]) => [name, make([from, to])])),
    );
    const filename = `data-${String(s).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.arrow`;
    await writeFile(join(dir, filename), tableToIPC(table, 'stream'));
    files.push({ filename });
  }
  await writeFile(
    join(dir, 'state.json'),
    JSON.stringify({ _data_files: files, _fingerprint: 'test', _format_columns: null, _split: null }),
  );
  await writeFile(join(dir, 'dataset_info.json'), JSON.stringify({ citation: '', description: '', features: {} }));
  return dir;
}

/** A strings column for writeSaveToDisk: `make(i)` for each row i. */
export function strings(make: (i: number) => string): (rows: [number, number]) => Vector {
  return ([from, to]) =>
    vectorFromArray(
      Array.from({ length: to - from }, (_, k) => make(from + k)),
      new Utf8(),
    );
}
