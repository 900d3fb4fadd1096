/**
 * The end of a long run without its records in memory: from BOUNDED_MIN_RECORDS records on, the
 * result summary and report.html's chart data come from the results database a slice at a time —
 * never the ~140 bytes per record of the read-back (store-summary.ts readStoredRecords).
 *
 * - counters (counts, errors and their first messages, finish reasons, token sources and sums,
 *   the time span) from SQL aggregates, with the filters of buildResultSummary's passes;
 * - every per-request series the summary sorts (SUMMARY_SERIES, ISL, OSL) read as one Float64Array
 *   column (the same filters, the same arithmetic in IEEE doubles), summarized by the same job
 *   (series-jobs.ts), then overwritten by the next: one array of 8 bytes per record, plus the sort's
 *   scratch of the same size while it sorts;
 * - ITL from the chunk times streamed past (store-itl.ts: exact up to ITL_EXACT_MAX gaps, then the
 *   histogram, as the in-memory end);
 * - goodput, the timeline and the TTFT scatter from a narrow streamed pass in stored order, through
 *   the same code (GoodputCounter, TimelineAndScatter): the scatter's seeded reservoir sample sees
 *   the records in the read-back's order, so it draws the same points.
 *
 * assembleResultSummary (metrics/result-summary.ts) turns the counts and series into the summary,
 * as it does for the records in memory; test/store/bounded-summary.test.ts holds the two equal.
 */
import { DOUBLE, INTEGER, type DuckDBConnection } from '@duckdb/node-api';
import { countFinishReason, emptyFinishReasonCounts } from '../metrics/finish-reasons.js';
import type { Percentiles } from '../metrics/percentiles.js';
import {
  assembleResultSummary,
  summaryWindow,
  SUMMARY_SERIES,
  type ErrorCodeSummary,
  type SummaryContext,
  type SummaryCounts,
  type SummarySeries,
  type SummarySeriesName,
} from '../metrics/result-summary.js';
import {
  plainSeries,
  sharedSeries,
  summarizeSeriesJob,
  type SeriesJobKind,
  type SeriesJobResult,
} from '../metrics/series-jobs.js';
import type { LatencySeriesSummary, SeriesSummary } from '../metrics/series-summary.js';
import { GoodputCounter } from '../metrics/slo.js';
import { tokenLengthsOf } from '../metrics/token-counts.js';
import type { RequestErrorCode, RequestRecord } from '../record/request-record.js';
import {
  distributionOfValues,
  TimelineAndScatter,
  type ChartDataOptions,
  type ChartRecords,
  type MetricDistribution,
  type MetricKey,
  type RunChartData,
} from '../report/html/run-chart-data.js';
import { readDoubles, streamRecordFields } from './stored-columns.js';
import { ITL_EXACT_MAX, ITL_RELATIVE_ERROR, storedItl } from './store-itl.js';
import { THREAD_MIN_RECORDS, type StoredResultSummary } from './store-summary.js';
import { EndOfRunThread } from './end-of-run-thread.js';
import type { TokenCountInput } from '../metrics/token-counts.js';

/**
 * From this many stored records on, the end of a run is bounded. The bench's ends (bench/store-summary.ts
 * --dist, load 1.7–3.6, docs/PERFORMANCE.md session 8), read back against bounded: 1M 2.3–2.8 s
 * against 3.6 s (the 1M end, held to 2 s, stays read back), 2M 4.0–4.1 s against 4.3–4.8 s, 3M
 * 10.2–16.6 s against 6.3–8.6 s; max RSS 1.2 GB against 0.6 GB at 3M, 2.7 GB against 0.8 GB at 10M.
 */
export const BOUNDED_MIN_RECORDS = 3_000_000;

/**
 * Whether the end of a run of `count` stored records is bounded: from `boundedMin` records on
 * (BOUNDED_MIN_RECORDS; lower in tests), unless a tokenizer counted the prompts (ISL then needs
 * each record's count) or `needsRecords` (multi-turn's conversation summary walks the records).
 */
export function takesBoundedEnd(
  count: number,
  tokens: TokenCountInput | undefined,
  options: { boundedMin?: number; needsRecords?: boolean } = {},
): boolean {
  if (options.needsRecords === true || tokens?.tokenizer !== undefined) return false;
  return count >= (options.boundedMin ?? BOUNDED_MIN_RECORDS);
}

const OK = 'error IS NULL';
const CONNECT = 'CASE WHEN isfinite(connect_start) AND isfinite(connected) THEN connected - connect_start ELSE 0 END';
const CLIENT_WAIT = 'isfinite(sent) AND isfinite(scheduled)';
const LATENCY = `${OK} AND isfinite("end") AND isfinite(sent)`;

/**
 * Each series as buildResultSummary fills it (result-summary.ts, pass 2): the value and which
 * records have one. `$2` is the start (steady wait) or the first quarter's end (early latency).
 */
interface ColumnSql {
  expr: string;
  where: string;
}

const SERIES_SQL: Record<SummarySeriesName, ColumnSql | null> = {
  ttft: { expr: 'first_token - sent', where: `${OK} AND streaming AND isfinite(first_token) AND isfinite(sent)` },
  tpot: {
    expr: '("end" - first_token) / (output_tokens - 1)',
    where: `${OK} AND streaming AND output_tokens >= 2 AND isfinite("end") AND isfinite(first_token)`,
  },
  // From the chunk times (storedItl).
  itl: null,
  latency: { expr: '"end" - sent', where: LATENCY },
  clientWait: { expr: 'sent - scheduled', where: CLIENT_WAIT },
  queueWait: { expr: `sent - scheduled - ${CONNECT}`, where: CLIENT_WAIT },
  lag: { expr: 'dispatched - scheduled', where: 'isfinite(dispatched) AND isfinite(scheduled)' },
  connectTime: {
    expr: 'connected - connect_start',
    where: 'isfinite(sent) AND isfinite(connect_start) AND isfinite(connected)',
  },
  steadyWait: { expr: `sent - scheduled - ${CONNECT}`, where: `${CLIENT_WAIT} AND scheduled > $2 AND retries = 0` },
  earlyLatency: { expr: '"end" - sent', where: `${LATENCY} AND sent <= $2` },
};
/** ISL without a tokenizer (the bounded end is not taken with one): usage's prompt tokens; OSL: usage's or the chunks'. */
const ISL_SQL: ColumnSql = { expr: 'input_tokens', where: `${OK} AND input_tokens >= 0` };
const OSL_SQL: ColumnSql = { expr: 'output_tokens', where: `${OK} AND token_source IN ('usage', 'chunks')` };

/** The chart distributions that come with the series (ITL's from the ITL pass). */
const CHART_OF: Partial<Record<SummarySeriesName | 'isl' | 'osl', MetricKey>> = {
  ttft: 'ttft',
  tpot: 'tpot',
  latency: 'latency',
};

/**
 * A run whose end was bounded, in place of its records for report.html (writeRunReportHtml takes
 * precomputedCharts): the chart data is made from the database for the options asked. It holds no
 * records; iterating it is an error.
 */
export class BoundedStoredRun implements ChartRecords, Iterable<RequestRecord> {
  private made: { key: string; data: Promise<RunChartData> } | null = null;

  constructor(
    private readonly connection: DuckDBConnection,
    readonly seq: number,
    readonly count: number,
    /** The latest record end (NaN: none ended). */
    private readonly maxEnd: number,
    private readonly distributions: Record<MetricKey, MetricDistribution>,
  ) {}

  precomputedCharts(options: ChartDataOptions): Promise<RunChartData> {
    const key = JSON.stringify([options.startNs, options.endNs, options.seed, options.scatterCap]);
    if (this.made?.key !== key) this.made = { key, data: this.chartData(options) };
    return this.made.data;
  }

  private async chartData(options: ChartDataOptions): Promise<RunChartData> {
    // As extractRunChartData's first pass: the latest end after the start, else the start.
    const lastEnd = this.maxEnd > options.startNs ? this.maxEnd : options.startNs;
    const overTime = new TimelineAndScatter(options, lastEnd, this.distributions.ttft.count);
    const seen = await streamRecordFields(this.connection, this.seq, false, (r) => overTime.add(r));
    if (seen !== this.count)
      throw new Error(`read back ${seen} of run ${this.seq}'s ${this.count} records for the charts`);
    return overTime.finish(this.count, this.distributions);
  }

  [Symbol.iterator](): Iterator<RequestRecord> {
    throw new Error(`run ${this.seq}'s ${this.count} records are not held in memory (a bounded end)`);
  }
}

/** The bounded end's summary, and the run for report.html's charts. */
export interface BoundedSummary {
  summary: StoredResultSummary;
  run: BoundedStoredRun;
}

/**
 * The summary of run `seq` without holding its records (see the file's comment). `itlGaps`: the
 * run's token gaps as its sink counted them (no count query). Not with a tokenizer's prompt counts
 * (input.tokens.tokenizer: ISL would need them per record): the caller reads the records back then.
 */
export async function summarizeStoredRunBounded(
  connection: DuckDBConnection,
  seq: number,
  input: SummaryContext,
  itlGaps?: number,
  options: { thread?: boolean } = {},
): Promise<BoundedSummary> {
  if (input.tokens?.tokenizer !== undefined) throw new Error('the bounded end takes no tokenizer counts');
  const { counts, maxEnd, islUsage, noUsageStreaming } = await storedSummaryCounts(connection, seq, input.startNs);
  const { earlyUntil } = summaryWindow(input.startNs, counts.lastScheduled);
  const distributions = {} as Record<MetricKey, MetricDistribution>;
  const done = {} as Record<SummarySeriesName | 'isl' | 'osl', SeriesJobResult>;
  const columns: { name: SummarySeriesName | 'isl' | 'osl'; kind: SeriesJobKind; sql: ColumnSql; params: number[] }[] =
    [];
  for (const [name, kind] of SUMMARY_SERIES) {
    const sql = SERIES_SQL[name];
    const params = name === 'steadyWait' ? [input.startNs] : name === 'earlyLatency' ? [earlyUntil] : [];
    if (sql !== null) columns.push({ name, kind, sql, params });
  }
  columns.push({ name: 'isl', kind: 'series', sql: ISL_SQL, params: [] });
  columns.push({ name: 'osl', kind: 'series', sql: OSL_SQL, params: [] });
  // Alone: one array for every series in turn, each summarized before the next overwrites it. With
  // the worker thread: two (shared memory), the thread summarizing one while this one reads the next.
  const thread = (options.thread ?? counts.issued >= THREAD_MIN_RECORDS) ? new EndOfRunThread() : null;
  const rooms = thread === null ? [plainSeries(counts.issued)] : [0, 1].map(() => sharedSeries(counts.issued));
  const busy: Promise<void>[] = rooms.map(() => Promise.resolve());
  try {
    for (const [i, c] of columns.entries()) {
      const r = i % rooms.length;
      await busy[r];
      const values = await readDoubles(connection, seq, c.sql.expr, c.sql.where, rooms[r], c.params);
      const finish = (result: SeriesJobResult) => {
        done[c.name] = result;
        const chart = CHART_OF[c.name];
        // The values sorted: the chart's bins count them in any order.
        if (chart !== undefined) distributions[chart] = distributionOfValues(chart, values);
      };
      if (thread === null) finish(summarizeSeriesJob({ kind: c.kind, values }));
      else {
        busy[r] = thread.runJobs([{ kind: c.kind, values }]).then(([result]) => finish(result));
        // Awaited above or below; an error before then must not be an unhandled rejection.
        busy[r].catch(() => undefined);
      }
    }
    await Promise.all(busy);
  } finally {
    thread?.close();
  }
  const steadyWait = done.steadyWait as Percentiles;
  const earlyLatency = done.earlyLatency as Percentiles;
  const isl = done.isl as SeriesSummary;
  const osl = done.osl as SeriesSummary;
  const itl = await storedItl(connection, seq, ITL_EXACT_MAX, itlGaps);
  distributions.itl = itl.chart;
  const lengths = tokenLengthsOf(
    {
      inputSources: { usage: islUsage, tokenizer: 0, none: counts.completed - islUsage },
      outputSources: { ...counts.tokenCountSources },
      noUsageStreaming,
      compared: 0,
      equal: 0,
      pctSum: 0,
      maxAbsPct: 0,
    },
    input.tokens,
    isl,
    osl,
  );
  const series: SummarySeries = {
    ttft: done.ttft as LatencySeriesSummary,
    tpot: done.tpot as LatencySeriesSummary,
    itl: itl.series,
    latency: done.latency as LatencySeriesSummary,
    clientWait: done.clientWait as SeriesSummary,
    queueWait: done.queueWait as SeriesSummary,
    lag: done.lag as SeriesSummary,
    connectTime: done.connectTime as SeriesSummary,
    steadyWaitP99: steadyWait['99.0'] ?? null,
    earlyLatencyMedian: earlyLatency['50.0'] ?? null,
    lengths,
  };
  const goodput = GoodputCounter.of(input.slos ?? []);
  if (goodput !== null) {
    const seen = await streamRecordFields(connection, seq, goodput.readsChunkTimes, (r) => goodput.add(r));
    if (seen !== counts.issued)
      throw new Error(`read back ${seen} of run ${seq}'s ${counts.issued} records for goodput`);
  }
  const summary: StoredResultSummary = assembleResultSummary(
    input,
    counts,
    series,
    goodput?.result(input.endNs - input.startNs) ?? null,
  );
  summary.itl_method = {
    exact: !itl.histogram,
    values: itl.count,
    exact_limit: ITL_EXACT_MAX,
    relative_error: itl.histogram ? ITL_RELATIVE_ERROR : null,
  };
  return { summary, run: new BoundedStoredRun(connection, seq, counts.issued, maxEnd, distributions) };
}

/** Counters of run `seq` by SQL: what buildResultSummary's first pass counts, with its filters. */
async function storedSummaryCounts(
  connection: DuckDBConnection,
  seq: number,
  startNs: number,
): Promise<{ counts: SummaryCounts; maxEnd: number; islUsage: number; noUsageStreaming: number }> {
  const sent = 'isfinite(sent)';
  const cached = `${OK} AND cached_tokens >= 0 AND input_tokens >= 0`;
  const aggregates = [
    'count(*)',
    `count(*) FILTER (WHERE ${OK})`,
    `sum(output_tokens) FILTER (WHERE ${OK})`,
    `count(*) FILTER (WHERE ${cached})`,
    `sum(cached_tokens) FILTER (WHERE ${cached})`,
    `sum(input_tokens) FILTER (WHERE ${cached})`,
    `count(*) FILTER (WHERE ${OK} AND token_source = 'usage')`,
    `count(*) FILTER (WHERE ${OK} AND token_source = 'chunks')`,
    `count(*) FILTER (WHERE ${sent})`,
    `count(*) FILTER (WHERE ${sent} AND reused)`,
    `count(*) FILTER (WHERE ${sent} AND isfinite(connect_start) AND isfinite(connected))`,
    'count(*) FILTER (WHERE retries > 0)',
    `count(*) FILTER (WHERE ${OK} AND streaming AND token_source = 'chunks')`,
    `count(*) FILTER (WHERE ${OK} AND input_tokens >= 0)`,
    `count(*) FILTER (WHERE ${OK} AND streaming AND input_tokens < 0)`,
    // NULL is a time never reached (NaN in memory, which `>` skips).
    'max(scheduled)',
    'max(sent)',
    'max("end")',
  ];
  const row = (
    await connection.runAndReadAll(`SELECT ${aggregates.join(', ')} FROM requests WHERE run = $1`, [seq], [INTEGER])
  ).getRows()[0];
  const num = (i: number) => (row[i] === null ? 0 : Number(row[i]));
  const latest = (i: number) => (row[i] === null || !(Number(row[i]) > startNs) ? startNs : Number(row[i]));
  const [issued, completed, outputTokenSum, cachedReporting, cachedSum, cachedInputSum, usage, chunks] = [
    0, 1, 2, 3, 4, 5, 6, 7,
  ].map(num);
  const lastScheduled = latest(15);
  const { lateFrom } = summaryWindow(startNs, lastScheduled);
  const late = await connection.runAndReadAll(
    `SELECT count(*) FROM requests WHERE run = $1 AND ${OK} AND "end" >= $2 AND "end" <= $3`,
    [seq, lateFrom, lastScheduled],
    [INTEGER, DOUBLE, DOUBLE],
  );
  const finishReasonCounts = emptyFinishReasonCounts();
  const reasons = await connection.runAndReadAll(
    `SELECT coalesce(finish_reason, ''), count(*) FROM requests WHERE run = $1 AND ${OK} GROUP BY 1`,
    [seq],
    [INTEGER],
  );
  for (const [reason, n] of reasons.getRows()) countFinishReason(finishReasonCounts, String(reason), Number(n));
  return {
    counts: {
      issued,
      completed,
      outputTokenSum,
      cachedReporting,
      cachedSum,
      cachedInputSum,
      finishReasonCounts,
      errors: await storedErrors(connection, seq),
      tokenCountSources: { usage, chunks, none: completed - usage - chunks },
      sent: num(8),
      reused: num(9),
      connects: num(10),
      retried: num(11),
      lastScheduled,
      lastSent: latest(16),
      chunkCountedStreaming: num(12),
      lateCompletions: Number(late.getRows()[0][0]),
    },
    maxEnd: row[17] === null ? NaN : Number(row[17]),
    islUsage: num(13),
    noUsageStreaming: num(14),
  };
}

/** errors as the summary keeps them: by code in order of first occurrence, the first message as the example; http_status by status. */
async function storedErrors(
  connection: DuckDBConnection,
  seq: number,
): Promise<Partial<Record<RequestErrorCode, ErrorCodeSummary>>> {
  // rowid: the stored order, which the read-back's scan follows.
  const first = (where: string, key: string) =>
    connection.runAndReadAll(
      `SELECT ${key}, count(*), arg_min(coalesce(error_message, ''), rowid) FROM requests
       WHERE run = $1 AND ${where} GROUP BY 1 ORDER BY min(rowid)`,
      [seq],
      [INTEGER],
    );
  const errors: Partial<Record<RequestErrorCode, ErrorCodeSummary>> = {};
  for (const [code, n, example] of (await first('error IS NOT NULL', 'error')).getRows()) {
    errors[code as RequestErrorCode] = { count: Number(n), example: String(example) };
  }
  const http = errors.http_status;
  if (http !== undefined) {
    http.by_status = {};
    for (const [status, n, example] of (await first(`error = 'http_status'`, 'coalesce(status, 0)')).getRows()) {
      http.by_status[Number(status)] = { count: Number(n), example: String(example) };
    }
  }
  return errors;
}
