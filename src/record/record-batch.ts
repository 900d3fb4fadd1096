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
  /** id, sampleIndex, shard, endpoint, status, inputTokens, outputTokens, chunk-run count, flags, then string-table indexes of sourceIp, errorMessage, finishReason (text: -1 or index). */
  ints: Int32Array;
  /**
   * Every record's chunk times as runs, one record after another: (arrival, count) pairs. Token
   * events that arrive in one socket read share its arrival, so a 65-event answer is usually one
   * or two runs — a tenth of the bytes to send and keep — and unpacking expands them.
   */
  chunkRuns: Float64Array;
  /** Distinct strings the records refer to; index 0 is ''. */
  strings: string[];
  /** String-table index of each record's captured text, -1 when none (probe only). */
  texts: Int32Array;
}

/**
 * Token-chunk arrivals of one request in flight, compactly: each entry is an arrival time (> 0),
 * and a negative entry −k after one means that time repeats k more times (token events read
 * together share their read's arrival). A stream whose events each arrive alone costs one double
 * per token; one that arrives in a few reads costs a few doubles.
 */
export type ArrivalList = number[];

/** Note `count` token chunks arriving at `at` (monotonic ns). */
export function appendArrivals(list: ArrivalList, at: number, count: number): void {
  if (count <= 0) return;
  const n = list.length;
  if (n > 0 && (list[n - 1] === at || (list[n - 1] < 0 && list[n - 2] === at))) {
    if (list[n - 1] === at) list.push(-count);
    else list[n - 1] -= count;
    return;
  }
  list.push(at);
  if (count > 1) list.push(1 - count);
}

const ERROR_CODES: (RequestErrorCode | '')[] = ['', ...Object.values(RequestErrorCode)];
const ERROR_INDEX = new Map(ERROR_CODES.map((c, i) => [c, i]));
const TOKEN_SOURCES: TokenCountSource[] = ['none', 'usage', 'chunks'];
const TOKEN_SOURCE_INDEX = new Map(TOKEN_SOURCES.map((s, i) => [s, i]));

/**
 * Packs records one by one as they finish, into typed arrays that grow and are reused from batch
 * to batch: no per-record object survives its request. Chunk times arrive as runs — (arrival,
 * count) pairs, because every token event in one socket read shares that read's arrival time —
 * and stay runs until unpackRecords expands them.
 */
export class RecordBatchBuilder {
  private times = new Float64Array(256 * TIME_FIELDS);
  private ints = new Int32Array(256 * INT_FIELDS);
  private texts = new Int32Array(256);
  private runs = new Float64Array(4096);
  /** Doubles used in `runs` (two per run). */
  private runLength = 0;
  private strings: string[] = [''];
  private index = new Map<string, number>([['', 0]]);
  /** Records added since the last take(). */
  count = 0;

  /**
   * Add one finished record. `arrivals` (see ArrivalList) replaces r.chunkTimes when given: the
   * shard's exchanges keep arrival lists, not per-chunk arrays.
   */
  add(r: RequestRecord, arrivals: Readonly<ArrivalList> | null): void {
    const k = this.count;
    if ((k + 1) * TIME_FIELDS > this.times.length) this.growRecords();
    // At most one run per chunk time, or per arrival-list entry.
    const room = 2 * (arrivals === null ? r.chunkTimes.length : arrivals.length);
    if (this.runLength + room > this.runs.length) this.growRuns(this.runLength + room);
    const start = this.runLength;
    let w = start;
    const runs = this.runs;
    if (arrivals === null) {
      const times = r.chunkTimes;
      for (let j = 0; j < times.length; j++) {
        if (w > start && runs[w - 2] === times[j]) runs[w - 1]++;
        else {
          runs[w] = times[j];
          runs[w + 1] = 1;
          w += 2;
        }
      }
    } else {
      for (let j = 0; j < arrivals.length; j++) {
        const v = arrivals[j];
        if (v < 0) {
          if (w > start) runs[w - 1] -= v;
        } else {
          runs[w] = v;
          runs[w + 1] = 1;
          w += 2;
        }
      }
    }
    this.runLength = w;
    const times = this.times;
    const t = k * TIME_FIELDS;
    times[t] = r.scheduled;
    times[t + 1] = r.dispatched;
    times[t + 2] = r.connected;
    times[t + 3] = r.sent;
    times[t + 4] = r.headers;
    times[t + 5] = r.firstChunk;
    times[t + 6] = r.firstToken;
    times[t + 7] = r.end;
    const ints = this.ints;
    const i = k * INT_FIELDS;
    ints[i] = r.id;
    ints[i + 1] = r.sampleIndex;
    ints[i + 2] = r.shard;
    ints[i + 3] = r.endpoint;
    ints[i + 4] = r.status;
    ints[i + 5] = r.inputTokens;
    ints[i + 6] = r.outputTokens;
    ints[i + 7] = (w - start) / 2;
    ints[i + 8] =
      (r.streaming ? 1 : 0) |
      (r.reused ? 2 : 0) |
      (TOKEN_SOURCE_INDEX.get(r.tokenSource)! << 2) |
      (ERROR_INDEX.get(r.error)! << 4);
    ints[i + 9] = r.sourceIp === '' ? 0 : this.intern(r.sourceIp);
    ints[i + 10] = r.errorMessage === '' ? 0 : this.intern(r.errorMessage);
    ints[i + 11] = r.finishReason === '' ? 0 : this.intern(r.finishReason);
    this.texts[k] = r.text !== undefined ? this.intern(r.text) : -1;
    this.count = k + 1;
  }

  /** The records added so far, in arrays of their exact size (copies: they cross IPC whole); then empty. */
  take(): RecordBatch {
    const n = this.count;
    const batch: RecordBatch = {
      count: n,
      times: this.times.slice(0, n * TIME_FIELDS),
      ints: this.ints.slice(0, n * INT_FIELDS),
      chunkRuns: this.runs.slice(0, this.runLength),
      strings: this.strings,
      texts: this.texts.slice(0, n),
    };
    this.count = 0;
    this.runLength = 0;
    this.strings = [''];
    this.index = new Map([['', 0]]);
    return batch;
  }

  private intern(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }

  private growRecords(): void {
    const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(a.length * 2);
      b.set(a);
      return b;
    };
    this.times = grow(this.times, (n) => new Float64Array(n));
    this.ints = grow(this.ints, (n) => new Int32Array(n));
    this.texts = grow(this.texts, (n) => new Int32Array(n));
  }

  private growRuns(needed: number): void {
    const b = new Float64Array(Math.max(needed, this.runs.length * 2));
    b.set(this.runs.subarray(0, this.runLength));
    this.runs = b;
  }
}

export function packRecords(records: readonly RequestRecord[]): RecordBatch {
  const builder = new RecordBatchBuilder();
  for (const r of records) builder.add(r, null);
  return builder.take();
}

export function unpackRecords(b: RecordBatch): RequestRecord[] {
  const out: RequestRecord[] = new Array<RequestRecord>(b.count);
  const { times, ints, strings, chunkRuns } = b;
  // Expand every run into one array for the batch; each record gets a view of its part.
  let total = 0;
  for (let j = 1; j < chunkRuns.length; j += 2) total += chunkRuns[j];
  const chunkTimes = new Float64Array(total);
  let c = 0;
  let run = 0;
  for (let k = 0; k < b.count; k++) {
    const t = k * TIME_FIELDS;
    const i = k * INT_FIELDS;
    const first = c;
    for (let n = ints[i + 7]; n > 0; n--, run += 2) {
      chunkTimes.fill(chunkRuns[run], c, c + chunkRuns[run + 1]);
      c += chunkRuns[run + 1];
    }
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
      chunkTimes: chunkTimes.subarray(first, c),
      status: ints[i + 4],
      error: ERROR_CODES[flags >>> 4],
      errorMessage: strings[ints[i + 10]],
      finishReason: strings[ints[i + 11]],
      inputTokens: ints[i + 5],
      outputTokens: ints[i + 6],
      tokenSource: TOKEN_SOURCES[(flags >>> 2) & 3],
    };
    if (b.texts[k] >= 0) r.text = strings[b.texts[k]];
    out[k] = r;
  }
  return out;
}

/**
 * A run's records, kept as the packed batches they arrived in. Iterating unpacks one batch at a
 * time, so a pass over millions of records never holds more than one batch of record objects;
 * every iteration is a fresh pass (the summary makes several).
 */
export class RecordBatchList implements Iterable<RequestRecord> {
  private readonly batches: RecordBatch[] = [];
  /** Records in all batches. */
  count = 0;

  push(batch: RecordBatch): void {
    this.batches.push(batch);
    this.count += batch.count;
  }

  /** The latest record end, or `floor` when no record ended later (read from the packed times). */
  latestEnd(floor: number): number {
    let latest = floor;
    for (const b of this.batches) {
      for (let k = 0; k < b.count; k++) {
        const end = b.times[k * TIME_FIELDS + 7];
        if (end > latest) latest = end;
      }
    }
    return latest;
  }

  *[Symbol.iterator](): Iterator<RequestRecord> {
    for (const b of this.batches) yield* unpackRecords(b);
  }
}
