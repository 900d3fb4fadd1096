/**
 * `--repeats N`: each headline figure's mean and 95 % confidence interval across the repeats,
 * Student t with N − 1 degrees of freedom: mean ± t(0.975, N − 1) × s / √N, s the sample (n − 1)
 * deviation. Repeats of one step are independent runs of the same settings, so t is the right
 * interval for their mean at small N (at N = 3 it is 4.30 s/√3, not the normal 1.96 s/√3).
 */
import { NS_PER_MS } from '../record/clock.js';
import type { ResultSummary } from './result-summary.js';

/** t(0.975, df) for df = 1…30 (scipy.stats.t.ppf, 6 decimals). */
const T_975 = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985,
  2.178813, 2.160369, 2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658,
  2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.04523, 2.042272,
];

/** The 97.5 % quantile of Student's t; past 30 degrees of freedom, the Cornish-Fisher expansion (error < 1e-4). */
export function studentT975(df: number): number {
  if (!(df >= 1)) throw new RangeError(`degrees of freedom must be >= 1: ${df}`);
  if (df <= 30) return T_975[Math.round(df) - 1];
  const z = 1.959963984540054;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

export interface RepeatStat {
  /** One value per repeat (null where the repeat had no samples). */
  values: (number | null)[];
  /** Over the repeats that have a value. */
  n: number;
  mean: number | null;
  std_dev: number | null;
  /** 95 % CI half-width; null below 2 values. */
  ci95: number | null;
  ci95_low: number | null;
  ci95_high: number | null;
}

export function repeatStat(values: (number | null)[]): RepeatStat {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { values, n, mean: null, std_dev: null, ci95: null, ci95_low: null, ci95_high: null };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { values, n, mean, std_dev: null, ci95: null, ci95_low: null, ci95_high: null };
  const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const ci = (studentT975(n - 1) * std) / Math.sqrt(n);
  return { values, n, mean, std_dev: std, ci95: ci, ci95_low: mean - ci, ci95_high: mean + ci };
}

/** The headline figures, by key; times in ns, as in the summary. */
export const HEADLINE_FIGURES: readonly {
  key: string;
  unit: 'req/s' | 'tok/s' | 'ms' | '%';
  pick: (s: ResultSummary) => number | null;
}[] = [
  { key: 'qps', unit: 'req/s', pick: (s) => s.qps },
  { key: 'tps', unit: 'tok/s', pick: (s) => s.tps },
  { key: 'ttft_p50', unit: 'ms', pick: (s) => s.ttft.percentiles['50.0'] },
  { key: 'ttft_p90', unit: 'ms', pick: (s) => s.ttft.percentiles['90.0'] },
  { key: 'ttft_p99', unit: 'ms', pick: (s) => s.ttft.percentiles['99.0'] },
  { key: 'tpot_p50', unit: 'ms', pick: (s) => s.tpot.percentiles['50.0'] },
  { key: 'tpot_p99', unit: 'ms', pick: (s) => s.tpot.percentiles['99.0'] },
  { key: 'itl_p50', unit: 'ms', pick: (s) => s.itl.percentiles['50.0'] },
  { key: 'itl_p99', unit: 'ms', pick: (s) => s.itl.percentiles['99.0'] },
  { key: 'latency_p50', unit: 'ms', pick: (s) => s.latency.percentiles['50.0'] },
  { key: 'latency_p99', unit: 'ms', pick: (s) => s.latency.percentiles['99.0'] },
  {
    key: 'error_rate',
    unit: '%',
    pick: (s) => (s.n_samples_issued > 0 ? s.n_samples_failed / s.n_samples_issued : null),
  },
  { key: 'goodput_rate', unit: 'req/s', pick: (s) => s.goodput?.request_rate ?? null },
];

export interface RepeatsSummary {
  repeats: number;
  /** Report subdirectory of each repeat, in order. */
  report_dirs: string[];
  /** Exit code of each repeat. */
  exit_codes: number[];
  figures: Record<string, RepeatStat>;
}

export function summarizeRepeats(
  summaries: readonly ResultSummary[],
  dirs: string[],
  exitCodes: number[],
): RepeatsSummary {
  const figures: Record<string, RepeatStat> = {};
  for (const f of HEADLINE_FIGURES) {
    const stat = repeatStat(summaries.map(f.pick));
    if (f.key === 'goodput_rate' && stat.n === 0) continue;
    figures[f.key] = stat;
  }
  return { repeats: summaries.length, report_dirs: dirs, exit_codes: exitCodes, figures };
}

/** The combined text table: figure, mean, ± 95 % CI, std dev, min, max. */
export function formatRepeats(r: RepeatsSummary): string {
  const scale = (unit: string, v: number | null): string => {
    if (v === null) return 'n/a';
    if (unit === 'ms') return (v / NS_PER_MS).toFixed(2);
    if (unit === '%') return (v * 100).toFixed(2);
    return v.toFixed(2);
  };
  const head = ['figure', 'unit', 'mean', '+/- 95% CI', 'std dev', 'min', 'max'];
  const rows: string[][] = [];
  for (const f of HEADLINE_FIGURES) {
    const s = r.figures[f.key];
    if (s === undefined) continue;
    const xs = s.values.filter((v): v is number => v !== null);
    rows.push([
      f.key,
      f.unit,
      scale(f.unit, s.mean),
      scale(f.unit, s.ci95),
      scale(f.unit, s.std_dev),
      scale(f.unit, xs.length > 0 ? Math.min(...xs) : null),
      scale(f.unit, xs.length > 0 ? Math.max(...xs) : null),
    ]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return (
    [
      `llm-loadgen repeats: ${r.repeats} runs of the same step (mean and Student-t 95 % CI across them)`,
      '',
      line(head),
      '-'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1)),
      ...rows.map(line),
      '',
      ...r.report_dirs.map((d, i) => `repeat ${i + 1}: ${d} (exit ${r.exit_codes[i]})`),
    ].join('\n') + '\n'
  );
}
