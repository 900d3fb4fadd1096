/**
 * ITL (one value per token gap) from the stored chunk times, in SQL: billions of gaps in a long
 * run never come into this process. Up to ITL_EXACT_MAX gaps the values are read back and
 * summarized exactly as the in-memory summary does (identical numbers); beyond it DuckDB counts
 * them into log-linear buckets of ratio ITL_BUCKET_RATIO, and every percentile is its bucket's
 * geometric middle: within ITL_RELATIVE_ERROR of the value the exact method reports (or 1 ns for
 * gaps under 1 ns — tokens read together share their arrival, a gap of 0). min, max, avg, total
 * and the standard deviation are exact aggregates in both cases.
 */
import { INTEGER, type DuckDBConnection } from '@duckdb/node-api';
import { createRequire } from 'node:module';
import { HISTOGRAM_BUCKETS, logSpacedEdges } from '../metrics/log-histogram.js';
import { PERCENTILE_KEYS, type Percentiles } from '../metrics/percentiles.js';
import { summarizeSeriesInPlace, type SeriesSummary } from '../metrics/series-summary.js';

const duckdb = createRequire(import.meta.url)('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings');

/** Gaps summarized exactly: 10M doubles are 80 MB to sort (~150k streamed answers of 65 tokens). */
export const ITL_EXACT_MAX = 10_000_000;
/** Bucket ratio γ: a bucket's middle is within √γ − 1 = 0.0999 % of every value in it. */
export const ITL_BUCKET_RATIO = 1.002;
export const ITL_RELATIVE_ERROR = Math.sqrt(ITL_BUCKET_RATIO) - 1;

export interface StoredItl {
  series: SeriesSummary;
  /** Gaps in the series. */
  count: number;
  /** True when the percentiles came from the histogram (count > ITL_EXACT_MAX). */
  histogram: boolean;
}

const GAPS = `
  SELECT unnest(list_transform(range(1, len(chunk_times)), i -> chunk_times[i + 1] - chunk_times[i])) AS g
  FROM requests WHERE run = $1 AND error IS NULL AND streaming AND len(chunk_times) > 1`;

export async function storedItl(
  connection: DuckDBConnection,
  seq: number,
  exactMax = ITL_EXACT_MAX,
): Promise<StoredItl> {
  const counted = await connection.runAndReadAll(
    `SELECT coalesce(sum(len(chunk_times) - 1), 0) FROM requests
     WHERE run = $1 AND error IS NULL AND streaming AND len(chunk_times) > 1`,
    [seq],
    [INTEGER],
  );
  const count = Number(counted.getRows()[0][0]);
  if (count <= exactMax) {
    const values = new Float64Array(count);
    let at = 0;
    const result = await connection.stream(GAPS, [seq], [INTEGER]);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      const n = chunk.rowCount;
      const bytes = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk.chunk, 0), n * 8);
      values.set(new Float64Array(bytes.buffer, bytes.byteOffset, n), at);
      at += n;
    }
    return { series: summarizeSeriesInPlace(values.subarray(0, at)), count, histogram: false };
  }
  return { series: await histogramSeries(connection, seq, count), count, histogram: true };
}

async function histogramSeries(connection: DuckDBConnection, seq: number, count: number): Promise<SeriesSummary> {
  const logRatio = Math.log(ITL_BUCKET_RATIO);
  const agg = await connection.runAndReadAll(
    `SELECT min(g), max(g), kahan_sum(g), stddev_samp(g) FROM (${GAPS})`,
    [seq],
    [INTEGER],
  );
  const [min, max, total, std] = agg.getRows()[0].map(Number);
  const buckets = await connection.runAndReadAll(
    `SELECT CASE WHEN g < 1 THEN -1 ELSE floor(ln(g) / ${logRatio})::INTEGER END AS b, count(*) AS n
     FROM (${GAPS}) GROUP BY b ORDER BY b`,
    [seq],
    [INTEGER],
  );
  const rows = buckets.getRows().map(([b, n]) => [Number(b), Number(n)] as const);
  const middle = (b: number) => (b < 0 ? 0 : Math.min(max, Math.max(min, ITL_BUCKET_RATIO ** (b + 0.5))));
  // The value at each rank, by the same "lower" rule as percentiles.ts: rank floor((n − 1) p).
  const at = (rank: number): number => {
    let seen = 0;
    for (const [b, n] of rows) {
      seen += n;
      if (rank < seen) return middle(b);
    }
    return max;
  };
  const percentiles = {} as Percentiles;
  for (const key of PERCENTILE_KEYS) percentiles[key] = at(Math.floor((count - 1) * (Number(key) / 100)));
  // The median is the p50 "lower" sample and std_dev the n − 1 deviation, as series-summary.ts.
  const median = at(Math.floor((count - 1) * 0.5));
  // MLPerf's 30 log-spaced buckets, filled from the fine buckets (each within 0.1 % of its values).
  const edges = logSpacedEdges(min, max);
  const counts = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
  for (const [b, n] of rows) {
    const v = Math.min(Math.max(middle(b), edges[0]), edges[HISTOGRAM_BUCKETS]);
    let k = 0;
    while (k < HISTOGRAM_BUCKETS - 1 && v >= edges[k + 1]) k++;
    counts[k] += n;
  }
  const histogram = {
    buckets: Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => [edges[i], edges[i + 1]] as [number, number]),
    counts,
  };
  return { min, max, median, avg: total / count, std_dev: count > 1 ? std : 0, total, percentiles, histogram };
}
