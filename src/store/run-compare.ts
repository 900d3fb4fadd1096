/**
 * `llm-loadgen compare RUN RUN [RUN…]`: every headline figure of stored runs side by side, the
 * change from the first run in %, and for TTFT, TPOT and E2E latency whether the difference is
 * beyond run-to-run noise: a two-sided Mann–Whitney U test on the per-request samples
 * (mann-whitney.ts), significant at p < COMPARE_ALPHA. compareRuns() is the data (the HTML compare
 * page draws it); formatCompare() the text.
 */
import { INTEGER, type DuckDBConnection } from '@duckdb/node-api';
import { createRequire } from 'node:module';
import type { ResultSummary } from '../metrics/result-summary.js';
import type { ResultsStore, StoredRun } from './results-store.js';
import { mannWhitneyU, type MannWhitneyResult } from './mann-whitney.js';
import { storedRunData, type StoredRunData } from './stored-report.js';
import { compareAccuracy, formatAccuracyCompare, type AccuracyComparison } from './accuracy-compare.js';
import { storedScoreMoments } from './accuracy-store.js';

const duckdb = createRequire(import.meta.url)('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings');

/** Significance level of the noise test. */
export const COMPARE_ALPHA = 0.01;
export const COMPARE_TEST = 'Mann–Whitney U (two-sided, per-request samples)';

interface Figure {
  name: string;
  unit: string;
  /** Lower is better (latencies), or higher (throughput). */
  better: 'lower' | 'higher';
  pick: (s: ResultSummary) => number | null;
}

const ms = (v: number | null) => (v === null ? null : v / 1e6);
const FIGURES: Figure[] = [
  { name: 'requests completed', unit: '', better: 'higher', pick: (s) => s.n_samples_completed },
  { name: 'requests failed', unit: '', better: 'lower', pick: (s) => s.n_samples_failed },
  { name: 'QPS', unit: 'req/s', better: 'higher', pick: (s) => s.qps },
  { name: 'output tokens/s', unit: 'tok/s', better: 'higher', pick: (s) => s.tps },
  { name: 'TTFT p50', unit: 'ms', better: 'lower', pick: (s) => ms(s.ttft.percentiles['50.0']) },
  { name: 'TTFT p90', unit: 'ms', better: 'lower', pick: (s) => ms(s.ttft.percentiles['90.0']) },
  { name: 'TTFT p99', unit: 'ms', better: 'lower', pick: (s) => ms(s.ttft.percentiles['99.0']) },
  { name: 'TPOT p50', unit: 'ms', better: 'lower', pick: (s) => ms(s.tpot.percentiles['50.0']) },
  { name: 'TPOT p99', unit: 'ms', better: 'lower', pick: (s) => ms(s.tpot.percentiles['99.0']) },
  { name: 'ITL p50', unit: 'ms', better: 'lower', pick: (s) => ms(s.itl.percentiles['50.0']) },
  { name: 'ITL p99', unit: 'ms', better: 'lower', pick: (s) => ms(s.itl.percentiles['99.0']) },
  { name: 'E2E p50', unit: 'ms', better: 'lower', pick: (s) => ms(s.latency.percentiles['50.0']) },
  { name: 'E2E p99', unit: 'ms', better: 'lower', pick: (s) => ms(s.latency.percentiles['99.0']) },
  { name: 'client wait p99', unit: 'ms', better: 'lower', pick: (s) => ms(s.client_wait.percentiles['99.0']) },
];

/** Per-request samples tested, as SQL over `requests` (successful requests only). */
const SAMPLES: Record<string, [value: string, where: string]> = {
  TTFT: ['first_token - sent', 'streaming AND first_token IS NOT NULL AND sent IS NOT NULL'],
  TPOT: [
    '("end" - first_token) / (output_tokens - 1)',
    'streaming AND output_tokens >= 2 AND "end" IS NOT NULL AND first_token IS NOT NULL',
  ],
  E2E: ['"end" - sent', '"end" IS NOT NULL AND sent IS NOT NULL'],
};
export type TestedMetric = 'TTFT' | 'TPOT' | 'E2E';

export interface CompareFigure {
  name: string;
  unit: string;
  better: 'lower' | 'higher';
  values: (number | null)[];
  /** Change from the first run, %, per run (null for the first, or when either is missing or 0). */
  changePct: (number | null)[];
}

export interface CompareTest extends MannWhitneyResult {
  metric: TestedMetric;
  /** Index of the run tested against the first. */
  run: number;
  /** p < COMPARE_ALPHA. */
  significant: boolean;
  /** Median of this run's samples minus the first run's, ns. */
  medianDifferenceNs: number;
}

export interface CompareData {
  runs: StoredRun[];
  summaries: ResultSummary[];
  figures: CompareFigure[];
  tests: CompareTest[];
  test: string;
  alpha: number;
  /** Per accuracy dataset: the scores, the change in points, whether beyond noise (accuracy-compare.ts). */
  accuracy: AccuracyComparison[];
}

async function samples(connection: DuckDBConnection, seq: number, metric: TestedMetric): Promise<Float64Array> {
  const parts: Float64Array[] = [];
  let total = 0;
  const [value, where] = SAMPLES[metric];
  const result = await connection.stream(
    `SELECT (${value})::DOUBLE FROM requests WHERE run = $1 AND error IS NULL AND ${where}`,
    [seq],
    [INTEGER],
  );
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const bytes = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk.chunk, 0), chunk.rowCount * 8);
    parts.push(new Float64Array(bytes.buffer, bytes.byteOffset, chunk.rowCount).slice());
    total += chunk.rowCount;
  }
  const out = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

export async function compareRuns(store: ResultsStore, runs: StoredRun[]): Promise<CompareData> {
  const data: StoredRunData[] = [];
  for (const run of runs) data.push(await storedRunData(store, run));
  const summaries = data.map((d) => d.summary);
  const figures: CompareFigure[] = FIGURES.map((f) => {
    const values = summaries.map(f.pick);
    const base = values[0];
    return {
      name: f.name,
      unit: f.unit,
      better: f.better,
      values,
      changePct: values.map((v, i) =>
        i === 0 || v === null || base === null || base === 0 ? null : ((v - base) / base) * 100,
      ),
    };
  });
  const tests: CompareTest[] = [];
  for (const metric of Object.keys(SAMPLES) as TestedMetric[]) {
    const first = await samples(store.connection, data[0].run.seq, metric);
    if (first.length === 0) continue;
    const firstSorted = first.slice().sort();
    for (let i = 1; i < data.length; i++) {
      const other = await samples(store.connection, data[i].run.seq, metric);
      if (other.length === 0) continue;
      const r = mannWhitneyU(other, first);
      tests.push({
        ...r,
        metric,
        run: i,
        significant: r.p < COMPARE_ALPHA,
        medianDifferenceNs: median(other.slice().sort()) - median(firstSorted),
      });
    }
  }
  const accuracy = await compareAccuracy(
    data.map((d) => d.accuracy),
    (i, dataset) => storedScoreMoments(store.connection, data[i].run.seq, dataset),
  );
  return {
    runs: data.map((d) => d.run),
    summaries,
    figures,
    tests,
    test: COMPARE_TEST,
    alpha: COMPARE_ALPHA,
    accuracy,
  };
}

function num(v: number | null, unit: string): string {
  if (v === null) return 'n/a';
  if (unit === '') return String(Math.round(v));
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(2);
}

export function formatCompare(d: CompareData): string {
  const width = 14;
  const head = (s: string) => s.padStart(width);
  const lines: string[] = [];
  lines.push(
    `compare: ${d.runs.map((r, i) => `[${i}] ${r.id} (${r.startedAt.toISOString().slice(0, 16)}Z, ${r.state})`).join('  ')}`,
  );
  lines.push(`change: each run against [0]`, '');
  lines.push(
    'figure'.padEnd(22) + d.runs.map((r, i) => head(`[${i}] ${r.id}`) + (i > 0 ? head('change') : '')).join(''),
  );
  lines.push('-'.repeat(22 + width * (2 * d.runs.length - 1)));
  for (const f of d.figures) {
    let line = `${f.name}${f.unit ? ` (${f.unit})` : ''}`.padEnd(22);
    f.values.forEach((v, i) => {
      line += head(num(v, f.unit));
      if (i > 0) {
        const c = f.changePct[i];
        line += head(c === null ? '' : `${c >= 0 ? '+' : ''}${c.toFixed(1)} %`);
      }
    });
    lines.push(line);
  }
  lines.push('', `beyond run-to-run noise? ${d.test}, significant at p < ${d.alpha}:`);
  if (d.tests.length === 0) lines.push('  no per-request samples to test');
  for (const t of d.tests) {
    const diff = t.medianDifferenceNs / 1e6;
    lines.push(
      `  ${t.metric.padEnd(5)} [${t.run}] vs [0]: median ${diff >= 0 ? '+' : ''}${diff.toFixed(3)} ms, ` +
        `p = ${t.p < 1e-4 ? t.p.toExponential(1) : t.p.toFixed(4)} (n ${t.n1} vs ${t.n2}): ` +
        (t.significant ? 'different beyond noise' : 'within noise'),
    );
  }
  return (
    lines.join('\n') +
    '\n' +
    formatAccuracyCompare(
      d.accuracy,
      d.runs.map((r) => r.id),
    )
  );
}
