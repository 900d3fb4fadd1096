/**
 * A run's records read back from the results database as packed batches (record/record-batch.ts),
 * one per DuckDB data chunk: numbers by bulk copies out of the vectors, so 1M records come back
 * in typed arrays (~130 bytes each without chunk times), not 1M objects.
 */
import { createRequire } from 'node:module';
import { prefetchedChunks } from './prefetched-chunks.js';
import { INTEGER, LIST, VARCHAR, listValue, type DuckDBConnection, type DuckDBDataChunk } from '@duckdb/node-api';
import { I, T, type RecordBatch } from '../record/record-batch.js';
import { RequestErrorCode } from '../record/request-record.js';

const duckdb = createRequire(import.meta.url)('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings');
type Vector = ReturnType<typeof duckdb.data_chunk_get_vector>;

const ERROR_INDEX = new Map<string, number>(['', ...Object.values(RequestErrorCode)].map((c, i) => [c, i]));
/** Error codes by their SQL code (ERROR_CODE_SQL): 0 is no error. */
export const ERROR_CODES = [...ERROR_INDEX.keys()] as (RequestErrorCode | '')[];

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
// The packed layout's first INT_COLUMNS.length int slots and all T.Size time slots, in column order:
// each group comes back as one fixed-size array column whose child is already that row layout.
if (INT_COLUMNS.some(([, slot], i) => slot !== i) || TIME_COLUMNS.some(([, slot], i) => slot !== i)) {
  throw new Error('stored-records: INT_COLUMNS and TIME_COLUMNS must list their slots in order');
}
if (TIME_COLUMNS.length !== T.Size) throw new Error('stored-records: every time slot must be read');

const ERROR_LIST = `[${[...ERROR_INDEX.keys()]
  .slice(1)
  .map((c) => `'${c}'`)
  .join(', ')}]`;
/** A row's error as an INTEGER: its index in ERROR_CODES. */
export const ERROR_CODE_SQL = `coalesce(list_position(${ERROR_LIST}, error), 0)`;

/**
 * Low-cardinality strings come back as codes computed in SQL (list_position in a list of the
 * run's distinct values): reading 6 string columns item by item was ~1 µs per row (100k records:
 * 146 ms of toBatch in node --cpu-prof). Only error_message and text, NULL on almost every row,
 * are read as strings, and only on the rows that have one.
 */
function selectList(withChunks: boolean, itl: boolean): string {
  return [
    // The ints and the times each as one fixed-size array per row: the array's child vector is the
    // packed batch's row layout (times exactly), where one vector per column took a strided copy
    // each (~300 ms of main-thread CPU at 1M records) and 18 more vector copies per data chunk.
    `[${INT_COLUMNS.map(([c]) => c).join(', ')}]::INTEGER[${INT_COLUMNS.length}]`,
    'streaming',
    'reused',
    // NULL (never reached) as NaN in SQL: no validity mask to test.
    `[${TIME_COLUMNS.map(([c]) => `coalesce(${c}, 'NaN'::DOUBLE)`).join(', ')}]::DOUBLE[${T.Size}]`,
    // Flags: error code << 4 | token source << 2 (streaming and reused are added from their columns).
    `(${ERROR_CODE_SQL} << 4) | (coalesce(list_position(['usage', 'chunks'], token_source), 0) << 2)`,
    'coalesce(list_position($2, source_ip), 0)',
    'coalesce(list_position($3, finish_reason), 0)',
    'error_message',
    withChunks ? 'text' : 'NULL::VARCHAR',
    ...(withChunks ? ['chunk_times'] : []),
    // The ITL pass's rows (store-itl.ts's WHERE) on the same scan: the chunk times and whether they count.
    ...(itl ? ['chunk_times', 'coalesce(error IS NULL AND streaming AND len(chunk_times) > 1, false)'] : []),
  ].join(', ');
}

function view(v: Vector, bytes: number): Uint8Array {
  return duckdb.vector_get_data(v, bytes);
}

/** Bit `row` of a validity mask (null = every row valid). */
function valid(mask: Uint8Array | null, row: number): boolean {
  return mask === null || (mask[row >>> 3] & (1 << (row & 7))) !== 0;
}

function int32s(raw: DuckDBDataChunk['chunk'], col: number, n: number): Int32Array {
  const b = view(duckdb.data_chunk_get_vector(raw, col), n * 4);
  return new Int32Array(b.buffer, b.byteOffset, n);
}

/** `base`: '' then the run's distinct source IPs, then its distinct finish reasons (list_position's 1-based codes). */
/** Where a batch's typed arrays go: fresh arrays, or views of a shared arena (SharedBatchArena). */
type BatchMemory = (n: number) => { times: Float64Array; ints: Int32Array };

const plainMemory: BatchMemory = (n) => ({ times: new Float64Array(n * T.Size), ints: new Int32Array(n * I.Size) });

/**
 * One SharedArrayBuffer per column group for the whole read-back, each batch a view of its part: a
 * SharedArrayBuffer per batch cost ~80 ms of main-thread CPU at 1M records (489 × 2 allocations).
 * Past the expected count (a run still being written) batches get buffers of their own.
 */
function sharedArena(records: number): BatchMemory {
  const times = new Float64Array(new SharedArrayBuffer(records * T.Size * 8));
  const ints = new Int32Array(new SharedArrayBuffer(records * I.Size * 4));
  let at = 0;
  return (n) => {
    if (at + n > records) {
      return {
        times: new Float64Array(new SharedArrayBuffer(n * T.Size * 8)),
        ints: new Int32Array(new SharedArrayBuffer(n * I.Size * 4)),
      };
    }
    const out = {
      times: times.subarray(at * T.Size, (at + n) * T.Size),
      ints: ints.subarray(at * I.Size, (at + n) * I.Size),
    };
    at += n;
    return out;
  };
}

function toBatch(
  chunk: DuckDBDataChunk,
  withChunks: boolean,
  base: readonly string[],
  ips: number,
  memory: BatchMemory,
): RecordBatch {
  const n = chunk.rowCount;
  const raw = chunk.chunk;
  const { times, ints } = memory(n);
  const texts = new Int32Array(n).fill(-1);
  const strings: string[] = base.slice();
  const index = new Map<string, number>();
  const intern = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  let col = 0;
  const nInts = INT_COLUMNS.length;
  {
    const b = view(duckdb.array_vector_get_child(duckdb.data_chunk_get_vector(raw, col++)), n * nInts * 4);
    const a = new Int32Array(b.buffer, b.byteOffset, n * nInts);
    for (let k = 0; k < n; k++) {
      const from = k * nInts;
      const to = k * I.Size;
      for (let j = 0; j < nInts; j++) ints[to + j] = a[from + j];
    }
  }
  const flagsOf = (vecIndex: number, bit: number) => {
    const b = view(duckdb.data_chunk_get_vector(raw, vecIndex), n);
    for (let k = 0; k < n; k++) if (b[k] !== 0) ints[k * I.Size + I.flags] |= bit;
  };
  flagsOf(col++, 1);
  flagsOf(col++, 2);
  {
    const b = view(duckdb.array_vector_get_child(duckdb.data_chunk_get_vector(raw, col++)), n * T.Size * 8);
    times.set(new Float64Array(b.buffer, b.byteOffset, n * T.Size));
  }
  const flags = int32s(raw, col++, n);
  for (let k = 0; k < n; k++) ints[k * I.Size + I.flags] |= flags[k];
  const ip = int32s(raw, col++, n);
  for (let k = 0; k < n; k++) ints[k * I.Size + I.sourceIp] = ip[k];
  const reason = int32s(raw, col++, n);
  for (let k = 0; k < n; k++) ints[k * I.Size + I.finishReason] = reason[k] === 0 ? 0 : ips + reason[k];
  for (const slot of [I.errorMessage, -1]) {
    const v = duckdb.data_chunk_get_vector(raw, col);
    const mask = duckdb.vector_get_validity(v, Math.ceil(n / 64) * 8);
    const column = chunk.getColumnVector(col++);
    for (let k = 0; k < n; k++) {
      if (mask !== null && !valid(mask, k)) continue;
      const s = column.getItem(k) as string | null;
      if (s === null) continue;
      if (slot === -1) texts[k] = intern(s);
      else if (s !== '') ints[k * I.Size + slot] = intern(s);
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

/** Each data chunk's chunk times for the ITL pass (copies out of DuckDB's vectors: the consumer may keep them). */
export type ChunkTimesConsumer = (child: Float64Array, entries: Uint32Array, rows: number, keep: Uint8Array) => void;

export interface ReadStoredOptions {
  /** The batches' typed arrays in SharedArrayBuffers (read by a worker thread in place), sized for this many records. */
  shared?: number;
  /** Also stream the ITL rows' chunk times on the same scan (the batches still have none). */
  itl?: ChunkTimesConsumer;
}

/**
 * Every stored record of run `seq`, batch by batch, in the order they were stored. Without
 * `withChunks` the records' chunk times are empty (the summary takes ITL from SQL: store-itl.ts).
 * The next data chunk is asked for before this one is converted, so DuckDB's scan (on its own
 * thread) overlaps the JS copies.
 */
export async function* readStoredBatches(
  connection: DuckDBConnection,
  seq: number,
  withChunks: boolean,
  options: ReadStoredOptions = {},
): AsyncGenerator<RecordBatch> {
  const distinct = async (column: string): Promise<string[]> => {
    const r = await connection.runAndReadAll(
      `SELECT DISTINCT ${column} FROM requests WHERE run = $1 AND ${column} IS NOT NULL AND ${column} <> '' ORDER BY 1`,
      [seq],
      [INTEGER],
    );
    return r.getRows().map((row) => String(row[0]));
  };
  const ips = await distinct('source_ip');
  const reasons = await distinct('finish_reason');
  const itl = options.itl;
  const result = await connection.stream(
    `SELECT ${selectList(withChunks, itl !== undefined)} FROM requests WHERE run = $1`,
    [seq, listValue(ips), listValue(reasons)],
    [INTEGER, LIST(VARCHAR), LIST(VARCHAR)],
  );
  const base = ['', ...ips, ...reasons];
  const memory = options.shared === undefined ? plainMemory : sharedArena(options.shared);
  for await (const chunk of prefetchedChunks(result)) {
    if (itl !== undefined) {
      const n = chunk.rowCount;
      const col = chunk.columnCount - 2;
      const list = duckdb.data_chunk_get_vector(chunk.chunk, col);
      const size = duckdb.list_vector_get_size(list);
      const eb = view(list, n * 16);
      const cb = view(duckdb.list_vector_get_child(list), size * 8);
      itl(
        new Float64Array(cb.buffer, cb.byteOffset, size),
        new Uint32Array(eb.buffer, eb.byteOffset, n * 4),
        n,
        view(duckdb.data_chunk_get_vector(chunk.chunk, col + 1), n),
      );
    }
    yield toBatch(chunk, withChunks, base, ips.length, memory);
  }
}
