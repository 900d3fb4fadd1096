/**
 * Made-up runs for the report.html tests: plain rows with the fields the charts read (as the
 * results database would give them), with known TTFT, token gaps, errors and timing, so counts
 * on the page can be checked against what was made.
 */
import { SeededRandom } from '../../src/dataset/seeded-random.js';
import { buildResultSummary, type ResultSummary } from '../../src/metrics/result-summary.js';
import type { RequestRecord } from '../../src/record/request-record.js';
import type { ChartRecord } from '../../src/report/html/run-chart-data.js';

export interface MadeRun {
  rows: ChartRecord[];
  startNs: number;
  endNs: number;
}

/**
 * `n` requests sent evenly over `seconds`, TTFT ttftMs ± 50 %, `tokens` tokens `itlMs` apart
 * (every 4th gap 0: read together), every `errorEvery`-th failing (0: none).
 */
export function makeRun(
  n: number,
  opts: { seconds?: number; ttftMs?: number; itlMs?: number; tokens?: number; errorEvery?: number; seed?: number } = {},
): MadeRun {
  const { seconds = 10, ttftMs = 40, itlMs = 10, tokens = 16, errorEvery = 0, seed = 1 } = opts;
  const random = new SeededRandom(seed);
  const startNs = 1e12;
  const rows: ChartRecord[] = [];
  let endNs = startNs;
  for (let i = 0; i < n; i++) {
    const sent = startNs + (i / n) * seconds * 1e9;
    const failed = errorEvery > 0 && i % errorEvery === errorEvery - 1;
    const firstToken = sent + ttftMs * 1e6 * (0.5 + random.nextFloat());
    const chunkTimes = new Float64Array(failed ? 0 : tokens);
    let t = firstToken;
    for (let k = 0; k < chunkTimes.length; k++) {
      if (k > 0 && k % 4 !== 0) t += itlMs * 1e6 * (0.5 + random.nextFloat());
      chunkTimes[k] = t;
    }
    const end = failed ? sent + 5e6 : t + 1e5;
    if (end > endNs) endNs = end;
    rows.push({
      dispatched: sent - 1e4,
      sent,
      firstToken: failed ? NaN : firstToken,
      end,
      error: failed ? 'http_status' : '',
      streaming: true,
      outputTokens: failed ? 0 : tokens,
      chunkTimes,
    });
  }
  return { rows, startNs, endNs };
}

/** The full records buildResultSummary reads, from the made rows. */
export function asRequestRecords(run: MadeRun, errorMessage = 'HTTP 500'): RequestRecord[] {
  return run.rows.map((r, i) => ({
    id: i,
    sampleIndex: i,
    shard: 0,
    endpoint: 0,
    sourceIp: '',
    streaming: r.streaming,
    reused: i > 0,
    scheduled: r.dispatched,
    dispatched: r.dispatched,
    connectStart: NaN,
    connected: r.dispatched,
    sent: r.sent,
    headers: r.firstToken,
    firstChunk: r.firstToken,
    firstToken: r.firstToken,
    end: r.end,
    chunkTimes: r.chunkTimes as Float64Array,
    status: r.error === '' ? 200 : 500,
    error: r.error === '' ? '' : 'http_status',
    errorMessage: r.error === '' ? '' : errorMessage,
    finishReason: r.error === '' ? 'length' : '',
    inputTokens: 100,
    outputTokens: r.outputTokens,
    cachedTokens: -1,
    retries: 0,
    tokenSource: r.error === '' ? 'usage' : 'none',
  }));
}

export function summaryOf(run: MadeRun, records = asRequestRecords(run)): ResultSummary {
  return buildResultSummary({
    records,
    state: 'complete',
    startNs: run.startNs,
    endNs: run.endNs,
    mode: 'online',
    loadPattern: 'poisson',
    offeredQps: 10,
    clientCpuNs: 1e9,
    shards: 1,
  });
}
