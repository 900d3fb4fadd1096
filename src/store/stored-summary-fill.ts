/**
 * buildResultSummary's record passes (metrics/result-summary.ts summaryPlan, and tokenLengthsPlan's
 * ISL/OSL) over read-back batches, straight from their typed arrays: the same passes through
 * record objects (the cursor of stored-record-list.ts) were ~0.5 s of the main thread's 1M-record
 * end (node --cpu-prof: summaryPlan, the cursor's next, tokenLengthsPlan); these take ~0.1 s.
 *
 * The same filters and the same arithmetic, record for record, in the same order: the series hold
 * the same values, so the same jobs give the same numbers (test/store/bounded-summary.test.ts and
 * test/store/store-summary.test.ts hold the summaries equal). The series are sized for every
 * record (what the summary's arrays are when every request succeeds) and cut to what was filled.
 * What depends on the window (early latency, late completions: the last scheduled time is known
 * only after every record) is taken at the end, by one more pass over the batches' arrays.
 */
import type { ErrorCodeSummary, SummaryCounts, SummarySeriesName } from '../metrics/result-summary.js';
import { summaryWindow } from '../metrics/result-summary.js';
import { countFinishReason, emptyFinishReasonCounts } from '../metrics/finish-reasons.js';
import type { SeriesAllocator } from '../metrics/series-jobs.js';
import type { InputTokenSource, TokenSourceCounts } from '../metrics/token-counts.js';
import { I, T, type RecordBatch } from '../record/record-batch.js';
import { RequestErrorCode, type TokenCountSource } from '../record/request-record.js';

const ERROR_CODES: (RequestErrorCode | '')[] = ['', ...Object.values(RequestErrorCode)];
/** The flags' token-source codes (bits 2–3): none, usage, chunks. */
const NONE = 0;
const CHUNKS = 2;
const finite = Number.isFinite;

/** What the passes need from the summary's input. */
export interface FillEnd {
  startNs: number;
  /** The tokenizer's prompt counts by sampleIndex (TokenizerCounts.counts), when one counted them. */
  tokenizer: Int32Array | null;
}

/** The filled series and the counts, as summaryPlan has them when it yields its jobs. */
export interface FilledSummary {
  counts: SummaryCounts;
  series: Record<SummarySeriesName, Float64Array>;
  inputLengths: Float64Array;
  outputLengths: Float64Array;
  sources: TokenSourceCounts;
}

export class StoredSummaryFill {
  private readonly batches: RecordBatch[] = [];
  private n = 0;
  private completed = 0;
  private outputTokenSum = 0;
  private cachedReporting = 0;
  private cachedSum = 0;
  private cachedInputSum = 0;
  private readonly finishReasonCounts = emptyFinishReasonCounts();
  private readonly errors: Partial<Record<RequestErrorCode, ErrorCodeSummary>> = {};
  /** Completed records by token source, indexed as the flags' bits 2–3 (TOKEN_SOURCES). */
  private readonly sourceCounts = [0, 0, 0];
  private readonly inputSources: Record<InputTokenSource, number> = { usage: 0, tokenizer: 0, none: 0 };
  private sentCount = 0;
  private reused = 0;
  private connectCount = 0;
  private retried = 0;
  private maxScheduled = -Infinity;
  private maxSent = -Infinity;
  private chunkCountedStreaming = 0;
  private noUsageStreaming = 0;
  private compared = 0;
  private equal = 0;
  private pctSum = 0;
  private maxAbsPct = 0;
  private readonly ttft: Float64Array;
  private readonly tpot: Float64Array;
  private readonly latency: Float64Array;
  private readonly clientWait: Float64Array;
  private readonly queueWait: Float64Array;
  private readonly steadyWait: Float64Array;
  private readonly lag: Float64Array;
  /** Grown as needed: most runs reuse their connections (a few connects per million requests). */
  private connectTime: Float64Array;
  private readonly input: Float64Array;
  private readonly output: Float64Array;
  private at = { ttft: 0, tpot: 0, latency: 0, wait: 0, steady: 0, lag: 0, connect: 0, input: 0, output: 0 };

  /** `capacity`: the records the run has (add throws past it); `alloc`: the series' memory. */
  constructor(
    readonly capacity: number,
    private readonly alloc: SeriesAllocator,
    private readonly end: FillEnd,
  ) {
    this.ttft = alloc(capacity);
    this.tpot = alloc(capacity);
    this.latency = alloc(capacity);
    this.clientWait = alloc(capacity);
    this.queueWait = alloc(capacity);
    this.steadyWait = alloc(capacity);
    this.lag = alloc(capacity);
    this.connectTime = alloc(Math.min(capacity, 4096));
    this.input = alloc(capacity);
    this.output = alloc(capacity);
  }

  /** One batch, in stored order (summaryPlan's passes 1 and 2 for its records). Kept for finish(). */
  add(b: RecordBatch): void {
    if (this.n + b.count > this.capacity) throw new Error(`more than the ${this.capacity} records expected`);
    this.batches.push(b);
    const { times, ints, strings } = b;
    const { startNs, tokenizer } = this.end;
    const { ttft, tpot, latency, clientWait, queueWait, steadyWait, lag, input, output, errors } = this;
    const { sourceCounts, inputSources } = this;
    let connectTime = this.connectTime;
    let { ttft: ttftAt, tpot: tpotAt, latency: latencyAt, wait: waitAt, steady: steadyAt } = this.at;
    let { lag: lagAt, connect: connectAt, input: inAt, output: outAt } = this.at;
    let { completed, outputTokenSum, cachedReporting, cachedSum, cachedInputSum, sentCount, reused } = this;
    let { connectCount, retried, maxScheduled, maxSent, chunkCountedStreaming, noUsageStreaming } = this;
    let { compared, equal, pctSum, maxAbsPct } = this;
    // Completions by finish-reason string (its index in the batch's table), counted by name after the loop.
    const reasons = new Int32Array(strings.length);
    for (let k = 0; k < b.count; k++) {
      const t = k * T.Size;
      const i = k * I.Size;
      const scheduled = times[t + T.scheduled];
      const dispatched = times[t + T.dispatched];
      const connectStart = times[t + T.connectStart];
      const connected = times[t + T.connected];
      const sent = times[t + T.sent];
      const flags = ints[i + I.flags];
      const retries = ints[i + I.retries];
      if (scheduled > maxScheduled) maxScheduled = scheduled;
      if (sent > maxSent) maxSent = sent;
      const hasConnect = finite(connectStart) && finite(connected);
      const connect = hasConnect ? connected - connectStart : 0;
      if (finite(sent) && finite(scheduled)) {
        queueWait[waitAt] = sent - scheduled - connect;
        clientWait[waitAt++] = sent - scheduled;
        if (scheduled > startNs && retries === 0) steadyWait[steadyAt++] = sent - scheduled - connect;
      }
      if (finite(dispatched) && finite(scheduled)) lag[lagAt++] = dispatched - scheduled;
      if (retries > 0) retried++;
      if (finite(sent)) {
        sentCount++;
        if ((flags & 2) !== 0) reused++;
        if (hasConnect) {
          connectCount++;
          if (connectAt === connectTime.length) {
            const grown = this.alloc(Math.min(this.capacity, 2 * connectTime.length));
            grown.set(connectTime);
            connectTime = grown;
          }
          connectTime[connectAt++] = connect;
        }
      }
      const errorCode = flags >>> 4;
      if (errorCode !== 0) {
        const error = ERROR_CODES[errorCode] as RequestErrorCode;
        const message = strings[ints[i + I.errorMessage]];
        const seen = errors[error];
        if (seen) seen.count++;
        else errors[error] = { count: 1, example: message };
        if (error === 'http_status') {
          const byStatus = (errors[error]!.by_status ??= {});
          const status = byStatus[ints[i + I.status]];
          if (status) status.count++;
          else byStatus[ints[i + I.status]] = { count: 1, example: message };
        }
        continue;
      }
      const end = times[t + T.end];
      const firstToken = times[t + T.firstToken];
      const inputTokens = ints[i + I.inputTokens];
      const outputTokens = ints[i + I.outputTokens];
      const cachedTokens = ints[i + I.cachedTokens];
      const source = (flags >>> 2) & 3;
      const streaming = (flags & 1) !== 0;
      completed++;
      outputTokenSum += outputTokens;
      if (cachedTokens >= 0 && inputTokens >= 0) {
        cachedReporting++;
        cachedSum += cachedTokens;
        cachedInputSum += inputTokens;
      }
      reasons[ints[i + I.finishReason]]++;
      sourceCounts[source]++;
      // tokenLengthsPlan: ISL (inputTokensOf, tokenizerCountOf), OSL, and usage against the tokenizer.
      let counted = -1;
      if (tokenizer !== null) {
        const c = tokenizer[ints[i + I.sampleIndex]];
        counted = c === undefined ? -1 : c;
      }
      if (inputTokens >= 0) {
        inputSources.usage++;
        input[inAt++] = inputTokens;
      } else if (counted >= 0) {
        inputSources.tokenizer++;
        input[inAt++] = counted;
      } else inputSources.none++;
      if (inputTokens >= 0 && counted >= 0) {
        compared++;
        if (counted === inputTokens) equal++;
        const pct = inputTokens > 0 ? ((counted - inputTokens) / inputTokens) * 100 : counted === 0 ? 0 : 100;
        pctSum += pct;
        if (Math.abs(pct) > maxAbsPct) maxAbsPct = Math.abs(pct);
      }
      if (source !== NONE) output[outAt++] = outputTokens;
      if (streaming && inputTokens < 0) noUsageStreaming++;
      if (finite(end) && finite(sent)) latency[latencyAt++] = end - sent;
      if (!streaming) continue;
      if (source === CHUNKS) chunkCountedStreaming++;
      if (finite(firstToken) && finite(sent)) ttft[ttftAt++] = firstToken - sent;
      if (outputTokens >= 2 && finite(end) && finite(firstToken))
        tpot[tpotAt++] = (end - firstToken) / (outputTokens - 1);
      // ITL: the read-back has no chunk times (the stored ITL replaces the series: store-summary.ts).
    }
    for (let c = 0; c < reasons.length; c++) {
      if (reasons[c] > 0) countFinishReason(this.finishReasonCounts, strings[c], reasons[c]);
    }
    this.n += b.count;
    this.connectTime = connectTime;
    this.at = {
      ttft: ttftAt,
      tpot: tpotAt,
      latency: latencyAt,
      wait: waitAt,
      steady: steadyAt,
      lag: lagAt,
      connect: connectAt,
      input: inAt,
      output: outAt,
    };
    Object.assign(this, { completed, outputTokenSum, cachedReporting, cachedSum, cachedInputSum, sentCount, reused });
    Object.assign(this, { connectCount, retried, maxScheduled, maxSent, chunkCountedStreaming, noUsageStreaming });
    Object.assign(this, { compared, equal, pctSum, maxAbsPct });
  }

  /** The series and counts, with what depends on the window (see the file's comment). */
  finish(): FilledSummary {
    const { startNs } = this.end;
    // summaryPlan starts both at the start and keeps a later one.
    const lastScheduled = this.maxScheduled > startNs ? this.maxScheduled : startNs;
    const lastSent = this.maxSent > startNs ? this.maxSent : startNs;
    const { lateFrom, earlyUntil } = summaryWindow(startNs, lastScheduled);
    const earlyRoom = this.alloc(this.at.latency);
    let earlyAt = 0;
    let lateCompletions = 0;
    for (const b of this.batches) {
      const { times, ints } = b;
      for (let k = 0; k < b.count; k++) {
        if (ints[k * I.Size + I.flags] >>> 4 !== 0) continue;
        const t = k * T.Size;
        const end = times[t + T.end];
        const sent = times[t + T.sent];
        if (end >= lateFrom && end <= lastScheduled) lateCompletions++;
        if (finite(end) && finite(sent) && sent <= earlyUntil) earlyRoom[earlyAt++] = end - sent;
      }
    }
    this.batches.length = 0;
    const at = this.at;
    const [none, usage, chunks] = this.sourceCounts;
    const tokenCountSources: Record<TokenCountSource, number> = { usage, chunks, none };
    return {
      counts: {
        issued: this.n,
        completed: this.completed,
        outputTokenSum: this.outputTokenSum,
        cachedReporting: this.cachedReporting,
        cachedSum: this.cachedSum,
        cachedInputSum: this.cachedInputSum,
        finishReasonCounts: this.finishReasonCounts,
        errors: this.errors,
        tokenCountSources,
        sent: this.sentCount,
        reused: this.reused,
        connects: this.connectCount,
        retried: this.retried,
        lastScheduled,
        lastSent,
        chunkCountedStreaming: this.chunkCountedStreaming,
        lateCompletions,
      },
      series: {
        ttft: this.ttft.subarray(0, at.ttft),
        tpot: this.tpot.subarray(0, at.tpot),
        itl: this.alloc(0),
        latency: this.latency.subarray(0, at.latency),
        clientWait: this.clientWait.subarray(0, at.wait),
        queueWait: this.queueWait.subarray(0, at.wait),
        lag: this.lag.subarray(0, at.lag),
        connectTime: this.connectTime.subarray(0, at.connect),
        steadyWait: this.steadyWait.subarray(0, at.steady),
        earlyLatency: earlyRoom.subarray(0, earlyAt),
      },
      inputLengths: this.input.subarray(0, at.input),
      outputLengths: this.output.subarray(0, at.output),
      sources: {
        inputSources: this.inputSources,
        outputSources: { ...tokenCountSources },
        noUsageStreaming: this.noUsageStreaming,
        compared: this.compared,
        equal: this.equal,
        pctSum: this.pctSum,
        maxAbsPct: this.maxAbsPct,
      },
    };
  }
}
