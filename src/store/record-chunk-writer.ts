/**
 * Packed record batches (record/record-batch.ts) into DuckDB data chunks, column by column with
 * bulk copies: a timestamp column is one memcpy of 2048 doubles plus its NULL mask, the chunk
 * times one memcpy of the batch's expanded arrivals. Only strings go one call per row, and only
 * the rows that have one. Appending values one by one through DuckDBAppender.append* cost
 * ~1 µs per value — 65 chunk times per streamed request made that the whole budget.
 */
import { createRequire } from 'node:module';
import { DuckDBDataChunk, type DuckDBAppender } from '@duckdb/node-api';
import { I, T, type RecordBatch } from '../record/record-batch.js';
import { RequestErrorCode, type TokenCountSource } from '../record/request-record.js';

/** DuckDB's vector size: a data chunk holds at most this many rows. */
export const CHUNK_ROWS = 2048;

const ERROR_CODES: (RequestErrorCode | '')[] = ['', ...Object.values(RequestErrorCode)];
const TOKEN_SOURCES: TokenCountSource[] = ['none', 'usage', 'chunks'];
/** node-api's own C API bindings (its dependency): the raw vector calls node-api does not wrap. */
const duckdb = createRequire(import.meta.url)('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings');
type Vector = ReturnType<typeof duckdb.data_chunk_get_vector>;

/** Columns of `requests` in table order (store-schema.ts); the chunk is built in this order. */
const enum C {
  run,
  id,
  sampleIndex,
  shard,
  endpoint,
  sourceIp,
  streaming,
  reused,
  retries,
  status,
  error,
  errorMessage,
  finishReason,
  inputTokens,
  outputTokens,
  cachedTokens,
  tokenSource,
  scheduled,
  dispatched,
  connectStart,
  connected,
  sent,
  headers,
  firstChunk,
  firstToken,
  end,
  chunkTimes,
  text,
  conversation,
  turn,
  Count,
}

const INT_COLUMNS: [column: C, slot: I][] = [
  [C.id, I.id],
  [C.conversation, I.conversation],
  [C.turn, I.turn],
  [C.sampleIndex, I.sampleIndex],
  [C.shard, I.shard],
  [C.endpoint, I.endpoint],
  [C.retries, I.retries],
  [C.status, I.status],
  [C.inputTokens, I.inputTokens],
  [C.outputTokens, I.outputTokens],
];
const TIME_COLUMNS: [column: C, slot: T][] = [
  [C.scheduled, T.scheduled],
  [C.dispatched, T.dispatched],
  [C.connectStart, T.connectStart],
  [C.connected, T.connected],
  [C.sent, T.sent],
  [C.headers, T.headers],
  [C.firstChunk, T.firstChunk],
  [C.firstToken, T.firstToken],
  [C.end, T.end],
];

/** Appends packed batches through one appender, reusing one chunk and its scratch arrays. */
export class RecordChunkWriter {
  private readonly chunk: DuckDBDataChunk;
  private readonly ints = new Int32Array(CHUNK_ROWS);
  private readonly doubles = new Float64Array(CHUNK_ROWS);
  private readonly bools = new Uint8Array(CHUNK_ROWS);
  /** One bit per row, as DuckDB's uint64 validity words (little-endian: two uint32 per word). */
  private readonly validity = new Uint32Array(CHUNK_ROWS / 32);
  private readonly entries = new BigUint64Array(CHUNK_ROWS * 2);
  private chunkTimes = new Float64Array(CHUNK_ROWS * 64);
  /** Rows appended (flushed or not) since this writer was made. */
  rows = 0;
  /**
   * Token gaps of the successful streamed records appended (chunk times − 1 each): the ITL
   * series' size, so the end of the run needs no count query (142 ms of DuckDB CPU at 1M records).
   */
  itlGaps = 0;

  constructor(
    private readonly appender: DuckDBAppender,
    private readonly runSeq: number,
  ) {
    const types = [];
    for (let c = 0; c < appender.columnCount; c++) types.push(appender.columnType(c));
    if (types.length !== C.Count) throw new Error(`requests has ${types.length} columns, expected ${C.Count}`);
    this.chunk = DuckDBDataChunk.create(types);
  }

  /** Append every record of `batch` (in chunks of CHUNK_ROWS); nothing is committed until flush(). */
  append(batch: RecordBatch): void {
    // Where each record's chunk runs start, walked once over the whole batch.
    let run = 0;
    for (let from = 0; from < batch.count; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, batch.count - from);
      run = this.fill(batch, from, n, run);
      this.appender.appendDataChunk(this.chunk);
      this.rows += n;
    }
  }

  flush(): void {
    this.appender.flushSync();
  }

  close(): void {
    this.appender.closeSync();
  }

  private vector(c: C): Vector {
    return duckdb.data_chunk_get_vector(this.chunk.chunk, c);
  }

  private copy(v: Vector, a: Int32Array | Float64Array | Uint8Array | BigUint64Array, n: number): void {
    duckdb.copy_data_to_vector(v, 0, a.buffer as ArrayBuffer, a.byteOffset, n * a.BYTES_PER_ELEMENT);
  }

  /** Writes the NULL mask from this.validity (all rows valid when `allValid`). */
  private setValidity(v: Vector, n: number, allValid: boolean): void {
    duckdb.vector_ensure_validity_writable(v);
    const words = Math.ceil(n / 64) * 2;
    if (allValid) this.validity.fill(0xffffffff, 0, words);
    duckdb.copy_data_to_vector_validity(v, 0, this.validity.buffer, 0, words * 4);
  }

  private clearValidity(n: number): void {
    this.validity.fill(0xffffffff, 0, Math.ceil(n / 64) * 2);
  }

  private setNull(row: number): void {
    this.validity[row >>> 5] &= ~(1 << (row & 31));
  }

  private fill(b: RecordBatch, from: number, n: number, runStart: number): number {
    duckdb.data_chunk_reset(this.chunk.chunk);
    const { ints, times, doubles, bools } = {
      ints: this.ints,
      times: b.times,
      doubles: this.doubles,
      bools: this.bools,
    };
    const bi = b.ints;
    // run: a constant.
    ints.fill(this.runSeq, 0, n);
    this.copy(this.vector(C.run), ints, n);
    this.setValidity(this.vector(C.run), n, true);
    for (const [c, slot] of INT_COLUMNS) {
      for (let k = 0; k < n; k++) ints[k] = bi[(from + k) * I.Size + slot];
      this.copy(this.vector(c), ints, n);
      this.setValidity(this.vector(c), n, true);
    }
    // cached_tokens: −1 (not reported) is NULL.
    this.clearValidity(n);
    for (let k = 0; k < n; k++) {
      const v = bi[(from + k) * I.Size + I.cachedTokens];
      ints[k] = v;
      if (v < 0) this.setNull(k);
    }
    this.copy(this.vector(C.cachedTokens), ints, n);
    this.setValidity(this.vector(C.cachedTokens), n, false);
    for (const [c, bit] of [
      [C.streaming, 1],
      [C.reused, 2],
    ] as const) {
      for (let k = 0; k < n; k++) bools[k] = (bi[(from + k) * I.Size + I.flags] & bit) !== 0 ? 1 : 0;
      this.copy(this.vector(c), bools, n);
      this.setValidity(this.vector(c), n, true);
    }
    for (const [c, slot] of TIME_COLUMNS) {
      this.clearValidity(n);
      for (let k = 0; k < n; k++) {
        const t = times[(from + k) * T.Size + slot];
        doubles[k] = t;
        if (t !== t) this.setNull(k);
      }
      this.copy(this.vector(c), doubles, n);
      this.setValidity(this.vector(c), n, false);
    }
    // Strings: NULL for '' (no error, no source IP), one assign per row that has one.
    this.strings(C.sourceIp, n, (k) => b.strings[bi[(from + k) * I.Size + I.sourceIp]]);
    this.strings(C.errorMessage, n, (k) => b.strings[bi[(from + k) * I.Size + I.errorMessage]]);
    this.strings(C.finishReason, n, (k) => b.strings[bi[(from + k) * I.Size + I.finishReason]]);
    this.strings(C.error, n, (k) => ERROR_CODES[bi[(from + k) * I.Size + I.flags] >>> 4]);
    this.strings(C.tokenSource, n, (k) => TOKEN_SOURCES[(bi[(from + k) * I.Size + I.flags] >>> 2) & 3]);
    this.strings(C.text, n, (k) => (b.texts[from + k] >= 0 ? b.strings[b.texts[from + k]] : ''));
    // Chunk times: expand this chunk's runs into one array, then the list entries (offset, length).
    const runs = b.chunkRuns;
    let total = 0;
    let r = runStart;
    for (let k = 0; k < n; k++) {
      for (let m = bi[(from + k) * I.Size + I.runCount]; m > 0; m--, r += 2) total += runs[r + 1];
    }
    if (total > this.chunkTimes.length) this.chunkTimes = new Float64Array(Math.max(total, this.chunkTimes.length * 2));
    const flat = this.chunkTimes;
    const entries = this.entries;
    let at = 0;
    let gaps = 0;
    r = runStart;
    for (let k = 0; k < n; k++) {
      const first = at;
      for (let m = bi[(from + k) * I.Size + I.runCount]; m > 0; m--, r += 2) {
        const end = at + runs[r + 1];
        flat.fill(runs[r], at, end);
        at = end;
      }
      entries[2 * k] = BigInt(first);
      entries[2 * k + 1] = BigInt(at - first);
      // As store-itl.ts selects them: error NULL, streaming, more than one chunk time.
      const flags = bi[(from + k) * I.Size + I.flags];
      if (flags >>> 4 === 0 && (flags & 1) !== 0 && at - first > 1) gaps += at - first - 1;
    }
    this.itlGaps += gaps;
    const list = this.vector(C.chunkTimes);
    duckdb.list_vector_reserve(list, total);
    duckdb.list_vector_set_size(list, total);
    if (total > 0) this.copy(duckdb.list_vector_get_child(list), flat, total);
    this.copy(list, entries, 2 * n);
    this.setValidity(list, n, true);
    duckdb.data_chunk_set_size(this.chunk.chunk, n);
    return r;
  }

  private strings(c: C, n: number, at: (k: number) => string): void {
    const v = this.vector(c);
    this.clearValidity(n);
    for (let k = 0; k < n; k++) {
      const s = at(k);
      if (s === '') this.setNull(k);
      else duckdb.vector_assign_string_element(v, k, s);
    }
    this.setValidity(v, n, false);
  }
}
