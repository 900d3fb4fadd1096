/**
 * The Mann–Whitney U test (two-sided, normal approximation with tie correction and continuity
 * correction): do two runs' per-request samples come from the same distribution? Rank-based, so
 * a few huge outliers cannot fake a difference, and no distribution is assumed. With the sample
 * sizes of a benchmark (thousands) the normal approximation is accurate to well below the α used.
 */
import { sortFloat64InPlace } from '../metrics/float64-sort.js';

export interface MannWhitneyResult {
  n1: number;
  n2: number;
  /** U of the first sample. */
  u: number;
  z: number;
  /** Two-sided p-value. */
  p: number;
  /** Common-language effect size: P(a value of sample 1 > one of sample 2), ties half. */
  probabilityGreater: number;
}

/** Standard normal upper tail, 1 − Φ(x), x ≥ 0 (Abramowitz–Stegun 7.1.26 via erfc: error < 1.5e-7). */
function normalUpperTail(x: number): number {
  const t = 1 / (1 + 0.3275911 * (x / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return 0.5 * poly * Math.exp(-(x * x) / 2);
}

/** Neither sample may be empty. The inputs are not modified. */
export function mannWhitneyU(a: Float64Array, b: Float64Array): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('Mann–Whitney U needs two non-empty samples');
  const sa = sortFloat64InPlace(a.slice());
  const sb = sortFloat64InPlace(b.slice());
  // Merge the two sorted samples, giving each group of equal values its average rank.
  let i = 0;
  let j = 0;
  let rank = 0;
  let r1 = 0;
  let ties = 0;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && sa[i] <= sb[j]) ? sa[i] : sb[j];
    let ca = 0;
    let cb = 0;
    while (i < n1 && sa[i] === v) {
      i++;
      ca++;
    }
    while (j < n2 && sb[j] === v) {
      j++;
      cb++;
    }
    const t = ca + cb;
    const average = rank + (t + 1) / 2;
    r1 += ca * average;
    rank += t;
    if (t > 1) ties += t * t * t - t;
  }
  const n = n1 + n2;
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  let z = 0;
  if (variance > 0) {
    const d = u - mean;
    z = (d - Math.sign(d) * 0.5) / Math.sqrt(variance);
    if (Math.abs(d) <= 0.5) z = 0;
  }
  const p = Math.min(1, 2 * normalUpperTail(Math.abs(z)));
  return { n1, n2, u, z, p, probabilityGreater: u / (n1 * n2) };
}
