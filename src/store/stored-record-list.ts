/**
 * A stored run's records read back once (without chunk times) for everything the end of a run
 * computes from them: the summary, the prompt counts, report.html's charts. Iterating yields ONE
 * record object, overwritten for each record (a flyweight): RecordBatchList's iterator made a
 * fresh object per record per pass, and the summary walks the records six times — at 100k
 * records that was 586 ms of the 1.0 s summary (node --cpu-prof, `unpackRecords`). Every consumer
 * here reads fields inside its loop and keeps none of the records (copying a string is fine).
 *
 * Also carries the ITL chart distribution computed with the ITL summary (store-itl.ts), so
 * report.html needs no chunk times in this process.
 */
import { I, T, type RecordBatch } from '../record/record-batch.js';
import { RequestErrorCode, type RequestRecord, type TokenCountSource } from '../record/request-record.js';
import type { ChartDataOptions, MetricDistribution, RunChartData } from '../report/html/run-chart-data.js';
import type { EndOfRunThread } from './end-of-run-thread.js';
import type { StoredItl } from './itl-accumulator.js';

const ERROR_CODES: (RequestErrorCode | '')[] = ['', ...Object.values(RequestErrorCode)];
const TOKEN_SOURCES: TokenCountSource[] = ['none', 'usage', 'chunks'];
const NO_CHUNKS = new Float64Array(0);

export class StoredRecordList implements Iterable<RequestRecord> {
  private readonly batches: RecordBatch[] = [];
  count = 0;
  /** report.html's ITL histogram, from the ITL pass over the stored chunk times (null: none computed). */
  itlDistribution: MetricDistribution | null = null;
  /**
   * Each record's largest token gap (NaN: fewer than two chunk times), in record order, when an
   * itl-max SLO needs it: the record's chunkTimes are then [0, that gap], so the goodput check
   * (every gap ≤ limit) sees the same answer as with all of them. null: chunkTimes stay empty.
   */
  maxGaps: Float64Array | null = null;
  /** The worker thread that took the ITL rows on the read-back's scan (readStoredRecords with a gap count), and its answer. */
  thread: EndOfRunThread | null = null;
  itl: Promise<StoredItl> | null = null;
  /** report.html's chart data, computed by `thread` beside the summary, and for which options. */
  private charts: { options: ChartDataOptions; data: Promise<RunChartData> } | null = null;

  /** Asks the worker thread for the chart data (ITL from its own pass); false when there is none. */
  startCharts(options: ChartDataOptions): boolean {
    if (this.thread === null) return false;
    this.charts = { options: { ...options }, data: this.thread.charts(this.batches, options) };
    return true;
  }

  /** The chart data for `options` when the worker thread made it (null: compute it here). */
  precomputedCharts(options: ChartDataOptions): Promise<RunChartData> | null {
    const c = this.charts;
    if (c === null) return null;
    const same = (k: keyof ChartDataOptions) => c.options[k] === options[k];
    return same('startNs') && same('endNs') && same('seed') && same('scatterCap') ? c.data : null;
  }

  push(batch: RecordBatch): void {
    this.batches.push(batch);
    this.count += batch.count;
  }

  batchList(): readonly RecordBatch[] {
    return this.batches;
  }

  [Symbol.iterator](): Iterator<RequestRecord> {
    return new RecordCursor(this.batches, this.maxGaps);
  }
}

/** The one record a pass over stored records fills in turn (its fields overwritten per record). */
export function cursorRecord(): RequestRecord {
  return {
    id: 0,
    sampleIndex: 0,
    shard: 0,
    endpoint: 0,
    sourceIp: '',
    streaming: false,
    reused: false,
    scheduled: NaN,
    dispatched: NaN,
    connectStart: NaN,
    connected: NaN,
    sent: NaN,
    headers: NaN,
    firstChunk: NaN,
    firstToken: NaN,
    end: NaN,
    chunkTimes: NO_CHUNKS,
    status: 0,
    error: '',
    errorMessage: '',
    finishReason: '',
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: -1,
    retries: 0,
    tokenSource: 'none',
    conversation: -1,
    turn: 0,
  };
}

/** A hand-written iterator: a generator's yield cost ~140 ns per record per pass (1M records, six passes: 0.84 s). */
class RecordCursor implements Iterator<RequestRecord> {
  private readonly r: RequestRecord = cursorRecord();
  private readonly result: IteratorResult<RequestRecord> = { done: false, value: this.r };
  private batch = 0;
  private k = 0;
  private at = 0;
  private readonly gap = new Float64Array(2);

  constructor(
    private readonly batches: readonly RecordBatch[],
    private readonly maxGaps: Float64Array | null,
  ) {}

  next(): IteratorResult<RequestRecord> {
    let b = this.batches[this.batch];
    while (b !== undefined && this.k >= b.count) {
      b = this.batches[++this.batch];
      this.k = 0;
    }
    if (b === undefined) return { done: true, value: undefined };
    const k = this.k++;
    const r = this.r;
    const { times, ints, strings } = b;
    const t = k * T.Size;
    const i = k * I.Size;
    const flags = ints[i + I.flags];
    r.id = ints[i + I.id];
    r.sampleIndex = ints[i + I.sampleIndex];
    r.shard = ints[i + I.shard];
    r.endpoint = ints[i + I.endpoint];
    r.sourceIp = strings[ints[i + I.sourceIp]];
    r.streaming = (flags & 1) !== 0;
    r.reused = (flags & 2) !== 0;
    r.scheduled = times[t + T.scheduled];
    r.dispatched = times[t + T.dispatched];
    r.connectStart = times[t + T.connectStart];
    r.connected = times[t + T.connected];
    r.sent = times[t + T.sent];
    r.headers = times[t + T.headers];
    r.firstChunk = times[t + T.firstChunk];
    r.firstToken = times[t + T.firstToken];
    r.end = times[t + T.end];
    r.status = ints[i + I.status];
    r.error = ERROR_CODES[flags >>> 4];
    r.errorMessage = strings[ints[i + I.errorMessage]];
    r.finishReason = strings[ints[i + I.finishReason]];
    r.inputTokens = ints[i + I.inputTokens];
    r.outputTokens = ints[i + I.outputTokens];
    r.cachedTokens = ints[i + I.cachedTokens];
    r.retries = ints[i + I.retries];
    r.tokenSource = TOKEN_SOURCES[(flags >>> 2) & 3];
    r.conversation = ints[i + I.conversation];
    r.turn = ints[i + I.turn];
    if (this.maxGaps !== null) {
      const g = this.maxGaps[this.at++];
      this.gap[1] = g;
      r.chunkTimes = g === g ? this.gap : NO_CHUNKS;
    }
    return this.result;
  }
}
