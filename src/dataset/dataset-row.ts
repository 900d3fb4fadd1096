/**
 * One row of a dataset file as a reader yields it, before it becomes a Sample. `read()` parses it
 * (a JSONL line is only parsed when asked, so a shard that skips the row pays nothing for it) and
 * throws a BadInputError that names `where` when the row is malformed.
 */
export interface DatasetRow {
  /** Where the row is, for messages: `data.jsonl:17`, `data.json[3]`, `data.parquet: row 12`. */
  where: string;
  read(): unknown;
}

/** A reader: the rows of one dataset, in file order. */
export type DatasetRows = AsyncIterable<DatasetRow>;
