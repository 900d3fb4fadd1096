/**
 * ITL from a stored run's chunk times, on its own scan (`llm-loadgen report RUN`, or a run whose
 * sink did not count its gaps): the chunk_times column streamed out of DuckDB one data chunk (2048
 * requests) at a time into an ITL accumulator (itl-accumulator.ts: exact up to ITL_EXACT_MAX
 * gaps, the histogram beyond). The end of a live run takes the same values on the read-back's
 * scan instead (stored-records.ts), into a worker thread.
 */
import { INTEGER, type DuckDBConnection } from '@duckdb/node-api';
import { createRequire } from 'node:module';
import { prefetchedChunks } from './prefetched-chunks.js';
import { ITL_EXACT_MAX, itlAccumulator, type StoredItl } from './itl-accumulator.js';

export { ITL_EXACT_MAX, ITL_RELATIVE_ERROR, type StoredItl } from './itl-accumulator.js';

const duckdb = createRequire(import.meta.url)('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings');

const FROM = `FROM requests WHERE run = $1 AND error IS NULL AND streaming AND len(chunk_times) > 1`;

/**
 * `gaps`: the series' size when the caller knows it (the run's sink counted them as it appended:
 * StoreRecordSink.itlGaps); else a count query first (142 ms of DuckDB CPU at 1M records).
 */
export async function storedItl(
  connection: DuckDBConnection,
  seq: number,
  exactMax = ITL_EXACT_MAX,
  gaps?: number,
): Promise<StoredItl> {
  const count = gaps ?? (await countGaps(connection, seq));
  const itl = itlAccumulator(count, seq, exactMax);
  const result = await connection.stream(`SELECT chunk_times ${FROM}`, [seq], [INTEGER]);
  for await (const chunk of prefetchedChunks(result)) {
    const n = chunk.rowCount;
    const list = duckdb.data_chunk_get_vector(chunk.chunk, 0);
    const size = duckdb.list_vector_get_size(list);
    const eb = duckdb.vector_get_data(list, n * 16);
    const cb = duckdb.vector_get_data(duckdb.list_vector_get_child(list), size * 8);
    itl.add(
      new Float64Array(cb.buffer, cb.byteOffset, size),
      new Uint32Array(eb.buffer, eb.byteOffset, n * 4),
      n,
      null,
    );
  }
  return itl.finish();
}

async function countGaps(connection: DuckDBConnection, seq: number): Promise<number> {
  const counted = await connection.runAndReadAll(
    `SELECT coalesce(sum(len(chunk_times) - 1), 0) ${FROM}`,
    [seq],
    [INTEGER],
  );
  return Number(counted.getRows()[0][0]);
}
