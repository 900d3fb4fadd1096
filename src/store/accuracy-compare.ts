/**
 * The accuracy side of `llm-loadgen compare`: per dataset, each run's score, its change from the
 * first run in percentage points, and whether that change is beyond sampling noise. Beyond noise
 * means the 95 % interval of the difference excludes 0:
 * - right/wrong scores (both runs' CI by Wilson): Newcombe's hybrid score interval (his method 10,
 *   from the two Wilson intervals), which keeps its coverage near 0 and 1 where the Wald interval
 *   of a difference does not;
 * - graded scores (ROUGE): Welch's t interval of the difference of mean per-answer scores (the
 *   variances differ between runs), with the Welch–Satterthwaite degrees of freedom.
 * Both treat the runs as independent samples; two runs over the same rows are paired, so the test
 * is conservative (a paired test such as McNemar's would call some smaller changes).
 */
import { tQuantile975, wilsonInterval, type AccuracyResult } from '../accuracy/accuracy-result.js';
import type { StoredAccuracy } from './accuracy-store.js';

export const ACCURACY_COMPARE_TEST =
  "95 % interval of the difference: Newcombe's hybrid score interval (right/wrong scores), Welch's t (graded scores)";

export interface AccuracyDifference {
  /** Index of the run compared with the first. */
  run: number;
  method: 'newcombe' | 'welch';
  /** This run's score minus the first run's, in score units ([-1, 1]), with its 95 % interval. */
  difference: number;
  low: number;
  high: number;
  /** The interval excludes 0. */
  significant: boolean;
}

export interface AccuracyComparison {
  dataset: string;
  eval_method: string;
  /** Per run (null: that run has no result for this dataset). */
  scores: (number | null)[];
  answers: (number | null)[];
  /** Change from the first run in percentage points, per run (null for the first, or when either is missing). */
  changePoints: (number | null)[];
  differences: AccuracyDifference[];
}

/** Sum, sum of squares and count of a dataset's per-answer scores in one run (answers never back count 0). */
export interface ScoreMoments {
  sum: number;
  sumSquares: number;
  n: number;
}

/** Newcombe's hybrid score interval (method 10) for p1 − p2, from k1 of n1 and k2 of n2. */
export function newcombeInterval(k1: number, n1: number, k2: number, n2: number): { low: number; high: number } {
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const w1 = wilsonInterval(k1, n1);
  const w2 = wilsonInterval(k2, n2);
  const d = p1 - p2;
  return {
    low: d - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2),
    high: d + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2),
  };
}

/** Welch's 95 % interval for mean1 − mean2. */
export function welchInterval(a: ScoreMoments, b: ScoreMoments): { low: number; high: number } {
  const mean = (m: ScoreMoments) => m.sum / m.n;
  const variance = (m: ScoreMoments) => (m.n < 2 ? 0 : Math.max(0, (m.sumSquares - m.n * mean(m) ** 2) / (m.n - 1)));
  const d = mean(a) - mean(b);
  const va = variance(a) / a.n;
  const vb = variance(b) / b.n;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { low: d, high: d };
  const df = (va + vb) ** 2 / ((a.n > 1 ? va ** 2 / (a.n - 1) : 0) + (b.n > 1 ? vb ** 2 / (b.n - 1) : 0));
  const half = tQuantile975(df) * se;
  return { low: d - half, high: d + half };
}

/**
 * The comparison of each dataset the first run scored (then those only later runs have).
 * `moments(run, dataset)` gives per-answer score moments for graded scores (from accuracy_answers).
 */
export async function compareAccuracy(
  runs: readonly StoredAccuracy[],
  moments: (run: number, dataset: string) => Promise<ScoreMoments>,
): Promise<AccuracyComparison[]> {
  const names: string[] = [];
  for (const r of runs) for (const a of r.results) if (!names.includes(a.dataset_name)) names.push(a.dataset_name);
  const out: AccuracyComparison[] = [];
  for (const name of names) {
    const results = runs.map((r) => r.results.find((a) => a.dataset_name === name) ?? null);
    const base = results[0];
    const scores = results.map((r) => r?.score ?? null);
    const differences: AccuracyDifference[] = [];
    for (let i = 1; i < results.length; i++) {
      const other = results[i];
      if (base === null || other === null || base.score === null || other.score === null) continue;
      differences.push(await difference(i, base, other, moments));
    }
    out.push({
      dataset: name,
      eval_method: (base ?? results.find((r) => r !== null))!.eval_method,
      scores,
      answers: results.map((r) => r?.total_samples ?? null),
      changePoints: scores.map((s, i) =>
        i === 0 || s === null || scores[0] === null ? null : round6((s - scores[0]) * 100),
      ),
      differences,
    });
  }
  return out;
}

/** Points to 6 decimals: 0.4 − 0.75 is −0.35000000000000003 in binary. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

async function difference(
  run: number,
  base: AccuracyResult,
  other: AccuracyResult,
  moments: (run: number, dataset: string) => Promise<ScoreMoments>,
): Promise<AccuracyDifference> {
  const d = other.score! - base.score!;
  let interval: { low: number; high: number };
  let method: AccuracyDifference['method'];
  if (base.ci95?.method === 'wilson' && other.ci95?.method === 'wilson') {
    method = 'newcombe';
    const k = (r: AccuracyResult) => Math.round(r.score! * r.total_samples);
    interval = newcombeInterval(k(other), other.total_samples, k(base), base.total_samples);
  } else {
    method = 'welch';
    const withIssued = (m: ScoreMoments, r: AccuracyResult): ScoreMoments => ({ ...m, n: r.total_samples });
    interval = welchInterval(
      withIssued(await moments(run, other.dataset_name), other),
      withIssued(await moments(0, base.dataset_name), base),
    );
  }
  return {
    run,
    method,
    difference: d,
    ...interval,
    significant: interval.low > 0 || interval.high < 0,
  };
}

function points(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
}

/** compare's accuracy section: scores per run, the change in points, and the noise verdict. */
export function formatAccuracyCompare(rows: readonly AccuracyComparison[], runIds: readonly string[]): string {
  if (rows.length === 0) return '';
  const width = 14;
  const head = (s: string) => s.padStart(width);
  const lines = ['', 'accuracy (score; change from [0] in points)'];
  lines.push(
    'dataset'.padEnd(22) + runIds.map((id, i) => head(`[${i}] ${id}`) + (i > 0 ? head('change') : '')).join(''),
  );
  lines.push('-'.repeat(22 + width * (2 * runIds.length - 1)));
  for (const r of rows) {
    let line = r.dataset.padEnd(22);
    r.scores.forEach((s, i) => {
      line += head(s === null ? 'n/a' : `${(s * 100).toFixed(1)} %`);
      if (i > 0) {
        const c = r.changePoints[i];
        line += head(c === null ? '' : `${c >= 0 ? '+' : ''}${c.toFixed(1)} pts`);
      }
    });
    lines.push(line);
  }
  lines.push('', `accuracy beyond sampling noise? ${ACCURACY_COMPARE_TEST}; beyond noise when it excludes 0:`);
  for (const r of rows) {
    if (r.differences.length === 0) lines.push(`  ${r.dataset}: only one run has a score`);
    for (const d of r.differences)
      lines.push(
        `  ${r.dataset} [${d.run}] vs [0]: ${points(d.difference)} pts, 95 % CI ${points(d.low)} to ${points(d.high)} pts ` +
          `(${d.method === 'newcombe' ? 'Newcombe' : 'Welch'}, n ${r.answers[d.run]} vs ${r.answers[0]}): ` +
          (d.significant ? 'different beyond noise' : 'within noise'),
      );
  }
  return lines.join('\n') + '\n';
}
