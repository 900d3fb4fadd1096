/**
 * A stored run's rows read one narrow slice at a time, for the bounded end of a run
 * (bounded-summary.ts): one DOUBLE expression into a Float64Array (a summary series), or a few
 * fields streamed past as one reused record (the timeline, goodput). Straight out of DuckDB's
 * vectors (vector_get_data), one data chunk (2048 rows) at a time; nothing of a chunk is kept.
 */
import { DOUBLE, INTEGER, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import { createRequire } from 'node:module';
import { prefetchedChunks } from './prefetched-chunks.js';
import type { RequestRecord } from '../record/request-record.js';
import { ERROR_CODES, ERROR_CODE_SQL } from './stored-records.js';
import { cursorRecord } from './stored-record-list.js';

const duckdb = createRequire(import.meta.url)('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings');

/** A row's largest token gap, NaN when it has fewer than two chunk times (as the goodput's itl-max check sees it). */
export const MAX_GAP_SQL = `coalesce(list_max(list_transform(range(1, len(chunk_times)), i -> chunk_times[i + 1] - chunk_times[i])), 'NaN'::DOUBLE)`;

/**
 * `expr` (DOUBLE, never NULL on the rows `where` keeps) over run `seq`'s rows in their stored
 * order, written into `into` from its start; returns the part filled. `params` are $2, $3, …
 * (DOUBLE). Throws when the rows do not fit (`into` is sized for the run's records).
 */
export async function readDoubles(
  connection: DuckDBConnection,
  seq: number,
  expr: string,
  where: string,
  into: Float64Array,
  params: readonly number[] = [],
): Promise<Float64Array> {
  const result = await connection.stream(
    `SELECT (${expr})::DOUBLE FROM requests WHERE run = $1 AND (${where})`,
    [seq, ...params],
    [INTEGER, ...params.map((): DuckDBType => DOUBLE)],
  );
  let at = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    if (at + n > into.length) throw new Error(`run ${seq}: more rows than its ${into.length} records for ${expr}`);
    const b = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk.chunk, 0), n * 8);
    into.set(new Float64Array(b.buffer, b.byteOffset, n), at);
    at += n;
  }
  return into.subarray(0, at);
}

/**
 * The fields streamRecordFields fills in its record: the times the timeline and goodput read,
 * error, streaming, output tokens, and (withMaxGap) chunkTimes as [0, the largest gap], so a check
 * of every gap against a limit sees the same answer as with all of them. The rest keep a
 * placeholder.
 */
export type StreamedField = 'dispatched' | 'sent' | 'firstToken' | 'end' | 'error' | 'streaming' | 'outputTokens';

const NO_CHUNKS = new Float64Array(0);

/**
 * Visits every stored record of run `seq` in stored order (the read-back's order) as ONE record
 * object overwritten each time (StreamedField's fields set); returns how many were visited.
 */
export async function streamRecordFields(
  connection: DuckDBConnection,
  seq: number,
  withMaxGap: boolean,
  visit: (r: RequestRecord) => void,
): Promise<number> {
  const nan = (c: string) => `coalesce(${c}, 'NaN'::DOUBLE)`;
  const result = await connection.stream(
    `SELECT ${nan('dispatched')}, ${nan('sent')}, ${nan('first_token')}, ${nan('"end"')}, ${ERROR_CODE_SQL}::INTEGER,
       coalesce(streaming, false), coalesce(output_tokens, 0)${withMaxGap ? `, ${MAX_GAP_SQL}` : ''}
     FROM requests WHERE run = $1`,
    [seq],
    [INTEGER],
  );
  const r = cursorRecord();
  const gap = new Float64Array(2);
  let count = 0;
  for await (const chunk of prefetchedChunks(result)) {
    const n = chunk.rowCount;
    const raw = chunk.chunk;
    const col = (i: number, bytes: number) => duckdb.vector_get_data(duckdb.data_chunk_get_vector(raw, i), n * bytes);
    const f64 = (i: number) => {
      const b = col(i, 8);
      return new Float64Array(b.buffer, b.byteOffset, n);
    };
    const i32 = (i: number) => {
      const b = col(i, 4);
      return new Int32Array(b.buffer, b.byteOffset, n);
    };
    const [dispatched, sent, firstToken, end] = [f64(0), f64(1), f64(2), f64(3)];
    const error = i32(4);
    const streaming = col(5, 1);
    const outputTokens = i32(6);
    const maxGap = withMaxGap ? f64(7) : null;
    for (let k = 0; k < n; k++) {
      r.dispatched = dispatched[k];
      r.sent = sent[k];
      r.firstToken = firstToken[k];
      r.end = end[k];
      r.error = ERROR_CODES[error[k]];
      r.streaming = streaming[k] !== 0;
      r.outputTokens = outputTokens[k];
      if (maxGap !== null) {
        const g = maxGap[k];
        gap[1] = g;
        r.chunkTimes = g === g ? gap : NO_CHUNKS;
      }
      visit(r);
    }
    count += n;
  }
  return count;
}
