/**
 * buildResultSummary's record passes (metrics/result-summary.ts summaryPlan, and tokenLengthsPlan's
 * ISL/OSL) over read-back batches, straight from their typed arrays: the same passes through
 * record objects (the cursor of stored-record-list.ts) were ~0.5 s of the main thread's 1M-record
 * end (node --cpu-prof: summaryPlan, the cursor's next, tokenLengthsPlan); these take ~0.1 s.
 *
 * The same filters and the same arithmetic, record for record, in the same order: the series hold
 * the same values, so the same jobs give the same numbers (test/store/stored-summary-fill.test.ts,
 * bounded-summary.test.ts and store-summary.test.ts hold the summaries equal). The series are sized
 * for every record (what the summary's arrays are when every request succeeds) and cut to what was
 * filled.
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

/**
 * The passes over `batches` (every batch of the run, in stored order; `capacity`: how many records they
 * hold), the series' memory from `alloc`. One function, its state in locals: the loop is the 1M-record
 * end's hot part.
 */
export function fillStoredSummary(
  batches: readonly RecordBatch[],
  capacity: number,
  alloc: SeriesAllocator,
  { startNs, tokenizer }: FillEnd,
): FilledSummary {
  const ttft = alloc(capacity);
  const tpot = alloc(capacity);
  const latency = alloc(capacity);
  const clientWait = alloc(capacity);
  const queueWait = alloc(capacity);
  const steadyWait = alloc(capacity);
  const lag = alloc(capacity);
  /** Grown as needed: most runs reuse their connections (a few connects per million requests). */
  let connectTime = alloc(Math.min(capacity, 4096));
  const input = alloc(capacity);
  const output = alloc(capacity);
  const finishReasonCounts = emptyFinishReasonCounts();
  const errors: Partial<Record<RequestErrorCode, ErrorCodeSummary>> = {};
  /** Completed records by token source, indexed as the flags' bits 2–3 (TOKEN_SOURCES). */
  const sourceCounts = [0, 0, 0];
  const inputSources: Record<InputTokenSource, number> = { usage: 0, tokenizer: 0, none: 0 };
  let ttftAt = 0,
    tpotAt = 0,
    latencyAt = 0,
    waitAt = 0,
    steadyAt = 0,
    lagAt = 0,
    connectAt = 0,
    inAt = 0,
    outAt = 0;
  let n = 0,
    completed = 0,
    outputTokenSum = 0,
    cachedReporting = 0,
    cachedSum = 0,
    cachedInputSum = 0;
  let sentCount = 0,
    reused = 0,
    connectCount = 0,
    retried = 0,
    chunkCountedStreaming = 0,
    noUsageStreaming = 0;
  let maxScheduled = -Infinity,
    maxSent = -Infinity;
  let compared = 0,
    equal = 0,
    pctSum = 0,
    maxAbsPct = 0;
  for (const b of batches) {
    n += b.count;
    if (n > capacity) throw new Error(`more than the ${capacity} records expected`);
    const { times, ints, strings } = b;
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
            const grown = alloc(Math.min(capacity, 2 * connectTime.length));
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
      if (reasons[c] > 0) countFinishReason(finishReasonCounts, strings[c], reasons[c]);
    }
  }
  // summaryPlan starts both at the start and keeps a later one.
  const lastScheduled = maxScheduled > startNs ? maxScheduled : startNs;
  const lastSent = maxSent > startNs ? maxSent : startNs;
  const { lateFrom, earlyUntil } = summaryWindow(startNs, lastScheduled);
  const earlyRoom = alloc(latencyAt);
  let earlyAt = 0;
  let lateCompletions = 0;
  for (const b of batches) {
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
  const [none, usage, chunks] = sourceCounts;
  const tokenCountSources: Record<TokenCountSource, number> = { usage, chunks, none };
  return {
    counts: {
      issued: n,
      completed,
      outputTokenSum,
      cachedReporting,
      cachedSum,
      cachedInputSum,
      finishReasonCounts,
      errors,
      tokenCountSources,
      sent: sentCount,
      reused,
      connects: connectCount,
      retried,
      lastScheduled,
      lastSent,
      chunkCountedStreaming,
      lateCompletions,
    },
    series: {
      ttft: ttft.subarray(0, ttftAt),
      tpot: tpot.subarray(0, tpotAt),
      itl: alloc(0),
      latency: latency.subarray(0, latencyAt),
      clientWait: clientWait.subarray(0, waitAt),
      queueWait: queueWait.subarray(0, waitAt),
      lag: lag.subarray(0, lagAt),
      connectTime: connectTime.subarray(0, connectAt),
      steadyWait: steadyWait.subarray(0, steadyAt),
      earlyLatency: earlyRoom.subarray(0, earlyAt),
    },
    inputLengths: input.subarray(0, inAt),
    outputLengths: output.subarray(0, outAt),
    sources: {
      inputSources,
      outputSources: { ...tokenCountSources },
      noUsageStreaming,
      compared,
      equal,
      pctSum,
      maxAbsPct,
    },
  };
}
