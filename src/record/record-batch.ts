/**
 * Request records packed into typed arrays for the trip from a shard to the run. Structured
 * cloning an array of record objects cost more CPU in the shard than decoding the SSE events
 * (the IPC write was 11 % of a shard's profile); typed arrays cross as plain byte copies.
 */
import { cutMessage } from './redact-secrets.js';
import { RequestErrorCode, type RequestRecord, type TokenCountSource } from './request-record.js';

/** The packed record's layout, named once: slot of each timestamp in `times` (per record, T.Size doubles). */
export const enum T {
  scheduled,
  dispatched,
  connectStart,
  connected,
  sent,
  headers,
  firstChunk,
  firstToken,
  end,
  Size,
}
/** Slot of each integer in `ints` (per record, I.Size int32s); the last three are string-table indexes. */
export const enum I {
  id,
  sampleIndex,
  shard,
  endpoint,
  status,
  inputTokens,
  outputTokens,
  cachedTokens,
  retries,
  /** --multi-turn session and turn (-1 and 0 otherwise). */
  conversation,
  turn,
  /** How many (arrival, count) runs of `chunkRuns` belong to this record. */
  runCount,
  /** streaming (bit 0), reused (bit 1), token source (bits 2–3), error code index (bits 4+). */
  flags,
  sourceIp,
  errorMessage,
  finishReason,
  Size,
}
const TIME_FIELDS = T.Size;
const INT_FIELDS = I.Size;

export interface RecordBatch {
  count: number;
  /** T.Size timestamps per record, in the order of enum T. */
  times: Float64Array;
  /** I.Size integers per record, in the order of enum I. */
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
   * `scrub` redacts the run's secrets from every string a record carries (record/redact-secrets.ts),
   * once per distinct string per batch, before error messages are cut to MESSAGE_CHARS: no string
   * leaves the shard unscrubbed, and nobody rewrites a batch's strings later.
   */
  constructor(private readonly scrub: (text: string) => string = (text) => text) {}

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
    times[t + T.scheduled] = r.scheduled;
    times[t + T.dispatched] = r.dispatched;
    times[t + T.connectStart] = r.connectStart;
    times[t + T.connected] = r.connected;
    times[t + T.sent] = r.sent;
    times[t + T.headers] = r.headers;
    times[t + T.firstChunk] = r.firstChunk;
    times[t + T.firstToken] = r.firstToken;
    times[t + T.end] = r.end;
    const ints = this.ints;
    const i = k * INT_FIELDS;
    ints[i + I.id] = r.id;
    ints[i + I.sampleIndex] = r.sampleIndex;
    ints[i + I.shard] = r.shard;
    ints[i + I.endpoint] = r.endpoint;
    ints[i + I.status] = r.status;
    ints[i + I.inputTokens] = r.inputTokens;
    ints[i + I.outputTokens] = r.outputTokens;
    ints[i + I.cachedTokens] = r.cachedTokens;
    ints[i + I.retries] = r.retries;
    ints[i + I.conversation] = r.conversation ?? -1;
    ints[i + I.turn] = r.turn ?? 0;
    ints[i + I.runCount] = (w - start) / 2;
    ints[i + I.flags] =
      (r.streaming ? 1 : 0) |
      (r.reused ? 2 : 0) |
      (TOKEN_SOURCE_INDEX.get(r.tokenSource)! << 2) |
      (ERROR_INDEX.get(r.error)! << 4);
    ints[i + I.sourceIp] = r.sourceIp === '' ? 0 : this.intern(r.sourceIp, true);
    ints[i + I.errorMessage] = r.errorMessage === '' ? 0 : this.intern(r.errorMessage, true);
    ints[i + I.finishReason] = r.finishReason === '' ? 0 : this.intern(r.finishReason, true);
    this.texts[k] = r.text !== undefined ? this.intern(r.text, false) : -1;
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

  /** Index of `s` scrubbed (and cut, for messages); keyed by the raw string, so a repeat costs one lookup. */
  private intern(s: string, cut: boolean): number {
    const key = cut ? s : '\0' + s;
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.strings.length;
      const clean = this.scrub(s);
      this.strings.push(cut ? cutMessage(clean) : clean);
      this.index.set(key, i);
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
    for (let n = ints[i + I.runCount]; n > 0; n--, run += 2) {
      chunkTimes.fill(chunkRuns[run], c, c + chunkRuns[run + 1]);
      c += chunkRuns[run + 1];
    }
    const flags = ints[i + I.flags];
    const r: RequestRecord = {
      id: ints[i + I.id],
      sampleIndex: ints[i + I.sampleIndex],
      shard: ints[i + I.shard],
      endpoint: ints[i + I.endpoint],
      sourceIp: strings[ints[i + I.sourceIp]],
      streaming: (flags & 1) !== 0,
      reused: (flags & 2) !== 0,
      scheduled: times[t + T.scheduled],
      dispatched: times[t + T.dispatched],
      connectStart: times[t + T.connectStart],
      connected: times[t + T.connected],
      sent: times[t + T.sent],
      headers: times[t + T.headers],
      firstChunk: times[t + T.firstChunk],
      firstToken: times[t + T.firstToken],
      end: times[t + T.end],
      // A view into the batch: no copy.
      chunkTimes: chunkTimes.subarray(first, c),
      status: ints[i + I.status],
      error: ERROR_CODES[flags >>> 4],
      errorMessage: strings[ints[i + I.errorMessage]],
      finishReason: strings[ints[i + I.finishReason]],
      inputTokens: ints[i + I.inputTokens],
      outputTokens: ints[i + I.outputTokens],
      cachedTokens: ints[i + I.cachedTokens],
      retries: ints[i + I.retries],
      tokenSource: TOKEN_SOURCES[(flags >>> 2) & 3],
    };
    if (ints[i + I.turn] > 0) {
      r.conversation = ints[i + I.conversation];
      r.turn = ints[i + I.turn];
    }
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
        const end = b.times[k * TIME_FIELDS + T.end];
        if (end > latest) latest = end;
      }
    }
    return latest;
  }

  *[Symbol.iterator](): Iterator<RequestRecord> {
    for (const b of this.batches) yield* unpackRecords(b);
  }

  /** The batches themselves, still packed. */
  batchList(): readonly RecordBatch[] {
    return this.batches;
  }
}
