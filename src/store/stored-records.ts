/**
 * A run's records read back from the results database as packed batches (record/record-batch.ts),
 * one per DuckDB data chunk: numbers by bulk copies out of the vectors, so 1M records come back
 * in typed arrays (~130 bytes each without chunk times), not 1M objects.
 */
import { createRequire } from 'node:module';
import { INTEGER, type DuckDBConnection, type DuckDBDataChunk } from '@duckdb/node-api';
import { I, T, type RecordBatch } from '../record/record-batch.js';
import { RequestErrorCode, type TokenCountSource } from '../record/request-record.js';

const duckdb = createRequire(import.meta.url)('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings');
type Vector = ReturnType<typeof duckdb.data_chunk_get_vector>;

const ERROR_INDEX = new Map<string, number>(['', ...Object.values(RequestErrorCode)].map((c, i) => [c, i]));
const TOKEN_SOURCE_INDEX = new Map<TokenCountSource, number>([
  ['none', 0],
  ['usage', 1],
  ['chunks', 2],
]);

const INT_COLUMNS: [sql: string, slot: I][] = [
  ['id', I.id],
  ['sample_index', I.sampleIndex],
  ['shard', I.shard],
  ['endpoint', I.endpoint],
  ['status', I.status],
  ['input_tokens', I.inputTokens],
  ['output_tokens', I.outputTokens],
  ['coalesce(cached_tokens, -1)', I.cachedTokens],
  ['retries', I.retries],
  ['conversation', I.conversation],
  ['turn', I.turn],
];
const TIME_COLUMNS: [sql: string, slot: T][] = [
  ['scheduled', T.scheduled],
  ['dispatched', T.dispatched],
  ['connect_start', T.connectStart],
  ['connected', T.connected],
  ['sent', T.sent],
  ['headers', T.headers],
  ['first_chunk', T.firstChunk],
  ['first_token', T.firstToken],
  ['"end"', T.end],
];
const STRING_COLUMNS = ['source_ip', 'error_message', 'finish_reason', 'error', 'token_source', 'text'] as const;

function selectList(withChunks: boolean): string {
  return [
    ...INT_COLUMNS.map(([c]) => c),
    'streaming',
    'reused',
    ...TIME_COLUMNS.map(([c]) => c),
    ...STRING_COLUMNS,
    ...(withChunks ? ['chunk_times'] : []),
  ].join(', ');
}

function view(v: Vector, bytes: number): Uint8Array {
  return duckdb.vector_get_data(v, bytes);
}

/** Bit `row` of a validity mask (null = every row valid). */
function valid(mask: Uint8Array | null, row: number): boolean {
  return mask === null || (mask[row >>> 3] & (1 << (row & 7))) !== 0;
}

function toBatch(chunk: DuckDBDataChunk, withChunks: boolean): RecordBatch {
  const n = chunk.rowCount;
  const raw = chunk.chunk;
  const times = new Float64Array(n * T.Size);
  const ints = new Int32Array(n * I.Size);
  const texts = new Int32Array(n).fill(-1);
  const strings: string[] = [''];
  const index = new Map<string, number>([['', 0]]);
  const intern = (s: string | null): number => {
    if (s === null || s === '') return 0;
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  let col = 0;
  for (const [, slot] of INT_COLUMNS) {
    const v = duckdb.data_chunk_get_vector(raw, col++);
    const b = view(v, n * 4);
    const a = new Int32Array(b.buffer, b.byteOffset, n);
    for (let k = 0; k < n; k++) ints[k * I.Size + slot] = a[k];
  }
  const flagsOf = (vecIndex: number, bit: number) => {
    const b = view(duckdb.data_chunk_get_vector(raw, vecIndex), n);
    for (let k = 0; k < n; k++) if (b[k] !== 0) ints[k * I.Size + I.flags] |= bit;
  };
  flagsOf(col++, 1);
  flagsOf(col++, 2);
  for (const [, slot] of TIME_COLUMNS) {
    const v = duckdb.data_chunk_get_vector(raw, col++);
    const b = view(v, n * 8);
    const a = new Float64Array(b.buffer, b.byteOffset, n);
    const mask = duckdb.vector_get_validity(v, Math.ceil(n / 64) * 8);
    for (let k = 0; k < n; k++) times[k * T.Size + slot] = valid(mask, k) ? a[k] : NaN;
  }
  for (const name of STRING_COLUMNS) {
    const v = chunk.getColumnVector(col++);
    for (let k = 0; k < n; k++) {
      const s = v.getItem(k) as string | null;
      const i = k * I.Size;
      switch (name) {
        case 'source_ip':
          ints[i + I.sourceIp] = intern(s);
          break;
        case 'error_message':
          ints[i + I.errorMessage] = intern(s);
          break;
        case 'finish_reason':
          ints[i + I.finishReason] = intern(s);
          break;
        case 'error':
          ints[i + I.flags] |= (ERROR_INDEX.get(s ?? '') ?? 0) << 4;
          break;
        case 'token_source':
          ints[i + I.flags] |= (TOKEN_SOURCE_INDEX.get((s ?? 'none') as TokenCountSource) ?? 0) << 2;
          break;
        case 'text':
          if (s !== null) texts[k] = intern(s);
          break;
      }
    }
  }
  let chunkRuns = new Float64Array(0);
  if (withChunks) {
    const list = duckdb.data_chunk_get_vector(raw, col);
    const size = duckdb.list_vector_get_size(list);
    const eb = view(list, n * 16);
    const entries = new BigUint64Array(eb.buffer, eb.byteOffset, n * 2);
    const cb = size > 0 ? view(duckdb.list_vector_get_child(list), size * 8) : new Uint8Array(0);
    const child = new Float64Array(cb.buffer, cb.byteOffset, size);
    // Runs of equal arrivals, as the shards pack them.
    const runs = new Float64Array(2 * size);
    let w = 0;
    for (let k = 0; k < n; k++) {
      const start = w;
      const off = Number(entries[2 * k]);
      const len = Number(entries[2 * k + 1]);
      for (let j = off; j < off + len; j++) {
        if (w > start && runs[w - 2] === child[j]) runs[w - 1]++;
        else {
          runs[w] = child[j];
          runs[w + 1] = 1;
          w += 2;
        }
      }
      ints[k * I.Size + I.runCount] = (w - start) / 2;
    }
    chunkRuns = runs.slice(0, w);
  }
  return { count: n, times, ints, chunkRuns, strings, texts };
}

/**
 * Every stored record of run `seq`, batch by batch, in the order they were stored. Without
 * `withChunks` the records' chunk times are empty (the summary takes ITL from SQL: store-itl.ts).
 */
export async function* readStoredBatches(
  connection: DuckDBConnection,
  seq: number,
  withChunks: boolean,
): AsyncGenerator<RecordBatch> {
  const result = await connection.stream(
    `SELECT ${selectList(withChunks)} FROM requests WHERE run = $1`,
    [seq],
    [INTEGER],
  );
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    yield toBatch(chunk, withChunks);
  }
}
