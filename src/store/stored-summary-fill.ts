/**
 * buildResultSummary's record passes (metrics/result-summary.ts summaryPlan, and tokenLengthsPlan's
 * ISL/OSL) over read-back batches as they arrive, straight from their typed arrays: the end-of-run
 * worker thread fills the series while the main thread is still reading the run back, where the
 * same passes through record objects after the read-back were ~0.5 s of the main thread's 1M-record
 * end (node --cpu-prof: summaryPlan, the cursor's next, tokenLengthsPlan) with the worker idle.
 *
 * The same filters and the same arithmetic, record for record, in the same order: the series hold
 * the same values, so the same jobs give the same numbers (test/store/bounded-summary.test.ts and
 * test/store/store-summary.test.ts hold the summaries equal). The series are sized for every
 * record (what the summary's arrays are when every request succeeds) and cut to what was filled.
 * What depends on the summary's input — the start (steady wait, the last scheduled time's floor),
 * the window (early latency, late completions) and the tokenizer's counts (ISL) — is taken at the
 * end, by one more pass over the batches' arrays (~20 ms at 1M records).
 */
import type { ErrorCodeSummary, SummaryCounts, SummarySeriesName } from '../metrics/result-summary.js';
import { summaryWindow } from '../metrics/result-summary.js';
import { countFinishReason, emptyFinishReasonCounts } from '../metrics/finish-reasons.js';
import type { SeriesAllocator } from '../metrics/series-jobs.js';
import type { InputTokenSource, TokenSourceCounts } from '../metrics/token-counts.js';
import { I, T, type RecordBatch } from '../record/record-batch.js';
import { RequestErrorCode, type TokenCountSource } from '../record/request-record.js';

const ERROR_CODES: (RequestErrorCode | '')[] = ['', ...Object.values(RequestErrorCode)];
const TOKEN_SOURCES: TokenCountSource[] = ['none', 'usage', 'chunks'];
const isFinite = Number.isFinite;

/** What the end's last pass needs from the summary's input. */
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
  private readonly tokenCountSources: Record<TokenCountSource, number> = { usage: 0, chunks: 0, none: 0 };
  private sentCount = 0;
  private reused = 0;
  private connectCount = 0;
  private retried = 0;
  private maxScheduled = -Infinity;
  private maxSent = -Infinity;
  private chunkCountedStreaming = 0;
  private noUsageStreaming = 0;
  private readonly ttft: Float64Array;
  private readonly tpot: Float64Array;
  private readonly latency: Float64Array;
  private readonly clientWait: Float64Array;
  private readonly queueWait: Float64Array;
  private readonly lag: Float64Array;
  private readonly connectTime: Float64Array;
  private readonly output: Float64Array;
  private at = { ttft: 0, tpot: 0, latency: 0, clientWait: 0, lag: 0, connectTime: 0, output: 0 };

  /** `capacity`: the records the run has (add throws past it); `alloc`: the series' memory. */
  constructor(
    readonly capacity: number,
    private readonly alloc: SeriesAllocator,
  ) {
    this.ttft = alloc(capacity);
    this.tpot = alloc(capacity);
    this.latency = alloc(capacity);
    this.clientWait = alloc(capacity);
    this.queueWait = alloc(capacity);
    this.lag = alloc(capacity);
    this.connectTime = alloc(capacity);
    this.output = alloc(capacity);
  }

  /** One batch, in stored order (summaryPlan's passes 1 and 2 for its records). Kept for finish(). */
  add(b: RecordBatch): void {
    if (this.n + b.count > this.capacity) throw new Error(`more than the ${this.capacity} records expected`);
    this.batches.push(b);
    const { times, ints, strings } = b;
    const { ttft, tpot, latency, clientWait, queueWait, lag, connectTime, output, errors } = this;
    let { ttft: ttftAt, tpot: tpotAt, latency: latencyAt, clientWait: waitAt } = this.at;
    let { lag: lagAt, connectTime: connectAt, output: outAt } = this.at;
    let { completed, outputTokenSum, cachedReporting, cachedSum, cachedInputSum, sentCount, reused } = this;
    let { connectCount, retried, maxScheduled, maxSent, chunkCountedStreaming, noUsageStreaming } = this;
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
      const hasConnect = isFinite(connectStart) && isFinite(connected);
      const connect = hasConnect ? connected - connectStart : 0;
      if (isFinite(sent) && isFinite(scheduled)) {
        queueWait[waitAt] = sent - scheduled - connect;
        clientWait[waitAt++] = sent - scheduled;
      }
      if (isFinite(dispatched) && isFinite(scheduled)) lag[lagAt++] = dispatched - scheduled;
      if (retries > 0) retried++;
      if (isFinite(sent)) {
        sentCount++;
        if ((flags & 2) !== 0) reused++;
        if (hasConnect) {
          connectCount++;
          connectTime[connectAt++] = connect;
        }
      }
      const error = ERROR_CODES[flags >>> 4];
      if (error !== '') {
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
      const tokenSource = TOKEN_SOURCES[(flags >>> 2) & 3];
      const streaming = (flags & 1) !== 0;
      completed++;
      outputTokenSum += outputTokens;
      if (cachedTokens >= 0 && inputTokens >= 0) {
        cachedReporting++;
        cachedSum += cachedTokens;
        cachedInputSum += inputTokens;
      }
      countFinishReason(this.finishReasonCounts, strings[ints[i + I.finishReason]]);
      this.tokenCountSources[tokenSource]++;
      if (tokenSource !== 'none') output[outAt++] = outputTokens;
      if (streaming && inputTokens < 0) noUsageStreaming++;
      if (isFinite(end) && isFinite(sent)) latency[latencyAt++] = end - sent;
      if (!streaming) continue;
      if (tokenSource === 'chunks') chunkCountedStreaming++;
      if (isFinite(firstToken) && isFinite(sent)) ttft[ttftAt++] = firstToken - sent;
      if (outputTokens >= 2 && isFinite(end) && isFinite(firstToken))
        tpot[tpotAt++] = (end - firstToken) / (outputTokens - 1);
      // ITL: the read-back has no chunk times (the stored ITL replaces the series: store-summary.ts).
    }
    this.n += b.count;
    this.at = {
      ttft: ttftAt,
      tpot: tpotAt,
      latency: latencyAt,
      clientWait: waitAt,
      lag: lagAt,
      connectTime: connectAt,
      output: outAt,
    };
    Object.assign(this, { completed, outputTokenSum, cachedReporting, cachedSum, cachedInputSum, sentCount, reused });
    Object.assign(this, { connectCount, retried, maxScheduled, maxSent, chunkCountedStreaming, noUsageStreaming });
  }

  /** The series and counts, with what depends on the input (see the file's comment). */
  finish(end: FillEnd): FilledSummary {
    const { startNs, tokenizer } = end;
    // summaryPlan starts both at the start and keeps a later one.
    const lastScheduled = this.maxScheduled > startNs ? this.maxScheduled : startNs;
    const lastSent = this.maxSent > startNs ? this.maxSent : startNs;
    const { lateFrom, earlyUntil } = summaryWindow(startNs, lastScheduled);
    const steadyWait = this.alloc(this.at.clientWait);
    const earlyRoom = this.alloc(this.at.latency);
    const input = this.alloc(this.completed);
    const inputSources: Record<InputTokenSource, number> = { usage: 0, tokenizer: 0, none: 0 };
    let steadyAt = 0;
    let earlyAt = 0;
    let inAt = 0;
    let lateCompletions = 0;
    let compared = 0;
    let equal = 0;
    let pctSum = 0;
    let maxAbsPct = 0;
    for (const b of this.batches) {
      const { times, ints } = b;
      for (let k = 0; k < b.count; k++) {
        const t = k * T.Size;
        const i = k * I.Size;
        const scheduled = times[t + T.scheduled];
        const sent = times[t + T.sent];
        if (isFinite(sent) && isFinite(scheduled) && scheduled > startNs && ints[i + I.retries] === 0) {
          const connectStart = times[t + T.connectStart];
          const connected = times[t + T.connected];
          const connect = isFinite(connectStart) && isFinite(connected) ? connected - connectStart : 0;
          steadyWait[steadyAt++] = sent - scheduled - connect;
        }
        if (ints[i + I.flags] >>> 4 !== 0) continue;
        const endAt = times[t + T.end];
        if (endAt >= lateFrom && endAt <= lastScheduled) lateCompletions++;
        if (isFinite(endAt) && isFinite(sent) && sent <= earlyUntil) earlyRoom[earlyAt++] = endAt - sent;
        // tokenLengthsPlan's ISL (inputTokensOf, tokenizerCountOf) and the usage-against-tokenizer figures.
        const inputTokens = ints[i + I.inputTokens];
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
      }
    }
    this.batches.length = 0;
    const at = this.at;
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
        tokenCountSources: this.tokenCountSources,
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
        clientWait: this.clientWait.subarray(0, at.clientWait),
        queueWait: this.queueWait.subarray(0, at.clientWait),
        lag: this.lag.subarray(0, at.lag),
        connectTime: this.connectTime.subarray(0, at.connectTime),
        steadyWait: steadyWait.subarray(0, steadyAt),
        earlyLatency: earlyRoom.subarray(0, earlyAt),
      },
      inputLengths: input.subarray(0, inAt),
      outputLengths: this.output.subarray(0, at.output),
      sources: {
        inputSources,
        outputSources: { ...this.tokenCountSources },
        noUsageStreaming: this.noUsageStreaming,
        compared,
        equal,
        pctSum,
        maxAbsPct,
      },
    };
  }
}
