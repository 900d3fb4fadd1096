/**
 * Request records packed into typed arrays for the trip from a shard to the run. Structured
 * cloning an array of record objects cost more CPU in the shard than decoding the SSE events
 * (the IPC write was 11 % of a shard's profile); typed arrays cross as plain byte copies.
 */
import { RequestErrorCode, type RequestRecord, type TokenCountSource } from './request-record.js';

/** Timestamps per record, in this order. */
const TIME_FIELDS = 8;
/** Integers per record (see pack()). */
const INT_FIELDS = 12;

export interface RecordBatch {
  count: number;
  /** scheduled, dispatched, connected, sent, headers, firstChunk, firstToken, end — per record. */
  times: Float64Array;
  /** id, sampleIndex, shard, endpoint, status, inputTokens, outputTokens, chunk count, flags, then string-table indexes of sourceIp, errorMessage, finishReason (text: -1 or index). */
  ints: Int32Array;
  /** Every record's chunk times, one after another. */
  chunkTimes: Float64Array;
  /** Distinct strings the records refer to; index 0 is ''. */
  strings: string[];
  /** String-table index of each record's captured text, -1 when none (probe only). */
  texts: Int32Array;
}

const ERROR_CODES: (RequestErrorCode | '')[] = ['', ...Object.values(RequestErrorCode)];
const ERROR_INDEX = new Map(ERROR_CODES.map((c, i) => [c, i]));
const TOKEN_SOURCES: TokenCountSource[] = ['none', 'usage', 'chunks'];
const TOKEN_SOURCE_INDEX = new Map(TOKEN_SOURCES.map((s, i) => [s, i]));

export function packRecords(records: readonly RequestRecord[]): RecordBatch {
  const n = records.length;
  let chunkTotal = 0;
  for (const r of records) chunkTotal += r.chunkTimes.length;
  const times = new Float64Array(n * TIME_FIELDS);
  const ints = new Int32Array(n * INT_FIELDS);
  const chunkTimes = new Float64Array(chunkTotal);
  const texts = new Int32Array(n).fill(-1);
  const strings = [''];
  const index = new Map<string, number>([['', 0]]);
  const intern = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  let c = 0;
  for (let k = 0; k < n; k++) {
    const r = records[k];
    const t = k * TIME_FIELDS;
    times[t] = r.scheduled;
    times[t + 1] = r.dispatched;
    times[t + 2] = r.connected;
    times[t + 3] = r.sent;
    times[t + 4] = r.headers;
    times[t + 5] = r.firstChunk;
    times[t + 6] = r.firstToken;
    times[t + 7] = r.end;
    const i = k * INT_FIELDS;
    ints[i] = r.id;
    ints[i + 1] = r.sampleIndex;
    ints[i + 2] = r.shard;
    ints[i + 3] = r.endpoint;
    ints[i + 4] = r.status;
    ints[i + 5] = r.inputTokens;
    ints[i + 6] = r.outputTokens;
    ints[i + 7] = r.chunkTimes.length;
    ints[i + 8] = (r.streaming ? 1 : 0) | (r.reused ? 2 : 0) | (TOKEN_SOURCE_INDEX.get(r.tokenSource)! << 2) | (ERROR_INDEX.get(r.error)! << 4);
    ints[i + 9] = r.sourceIp === '' ? 0 : intern(r.sourceIp);
    ints[i + 10] = r.errorMessage === '' ? 0 : intern(r.errorMessage);
    ints[i + 11] = r.finishReason === '' ? 0 : intern(r.finishReason);
    if (r.text !== undefined) texts[k] = intern(r.text);
    chunkTimes.set(r.chunkTimes, c);
    c += r.chunkTimes.length;
  }
  return { count: n, times, ints, chunkTimes, strings, texts };
}

export function unpackRecords(b: RecordBatch): RequestRecord[] {
  const out: RequestRecord[] = new Array<RequestRecord>(b.count);
  const { times, ints, strings } = b;
  let c = 0;
  for (let k = 0; k < b.count; k++) {
    const t = k * TIME_FIELDS;
    const i = k * INT_FIELDS;
    const chunks = ints[i + 7];
    const flags = ints[i + 8];
    const r: RequestRecord = {
      id: ints[i],
      sampleIndex: ints[i + 1],
      shard: ints[i + 2],
      endpoint: ints[i + 3],
      sourceIp: strings[ints[i + 9]],
      streaming: (flags & 1) !== 0,
      reused: (flags & 2) !== 0,
      scheduled: times[t],
      dispatched: times[t + 1],
      connected: times[t + 2],
      sent: times[t + 3],
      headers: times[t + 4],
      firstChunk: times[t + 5],
      firstToken: times[t + 6],
      end: times[t + 7],
      // A view into the batch: no copy.
      chunkTimes: b.chunkTimes.subarray(c, c + chunks),
      status: ints[i + 4],
      error: ERROR_CODES[flags >>> 4],
      errorMessage: strings[ints[i + 10]],
      finishReason: strings[ints[i + 11]],
      inputTokens: ints[i + 5],
      outputTokens: ints[i + 6],
      tokenSource: TOKEN_SOURCES[(flags >>> 2) & 3],
    };
    if (b.texts[k] >= 0) r.text = strings[b.texts[k]];
    c += chunks;
    out[k] = r;
  }
  return out;
}
