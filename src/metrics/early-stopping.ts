/**
 * MLPerf LoadGen's early-stopping percentile estimate, as MLPerf Endpoints ports it
 * (src/inference_endpoint/metrics/early_stopping.py; LoadGen loadgen/early_stopping.cc and
 * results.cc): given n sorted latencies and a percentile p, report sorted[n − t], the t-th
 * highest sample, where t is the largest over-latency count whose binomial bound still holds at
 * confidence 0.99 (tolerance 0). The true p-th percentile is at most that value with 99 %
 * confidence. Below the sample floor (p90: 64, p99: 662, p99.9: 6,636) there is no estimate: null.
 *
 * The arithmetic follows theirs operation for operation (the Numerical Recipes continued fraction
 * for the regularized incomplete beta, the same bracketing and bisection), so the same samples
 * give the same estimate.
 */
import { PERCENTILE_KEYS, type PercentileKey } from './percentiles.js';

/** LoadGen's hard-coded confidence and tolerance (results.cc:157-158). */
export const CONFIDENCE = 0.99;
export const TOLERANCE = 0;

/** Estimates for every grid percentile from p50 up (p100 is outside the test's domain). */
export const EARLY_STOPPING_KEYS = PERCENTILE_KEYS.filter((k) => Number(k) >= 50 && Number(k) < 100);
export type EarlyStoppingKey = (typeof EARLY_STOPPING_KEYS)[number];
export type EarlyStoppingPercentiles = Partial<Record<PercentileKey, number | null>>;

/** ln Γ(x) for x > 0: Stirling's series past 10 (shifted up by the recurrence below it), ~1e-15 relative. */
export function logGamma(x: number): number {
  let shift = 0;
  while (x < 10) {
    shift += Math.log(x);
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  const series =
    inv *
    (1 / 12 -
      inv2 *
        (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 * (1 / 1188 - inv2 * (691 / 360360 - inv2 / 156))))));
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** Continued fraction of the incomplete beta: Numerical Recipes `betacf`, modified Lentz, as theirs. */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const eps = 3e-16;
  const fpmin = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < fpmin) d = fpmin;
  d = 1 / d;
  let h = d;
  // Their cap of 400 iterations: decisions compare with 1 − c = 0.01, far from the slow midpoint.
  for (let m = 1; m < 400; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < fpmin) d = fpmin;
    c = 1 + aa / c;
    if (Math.abs(c) < fpmin) c = fpmin;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < fpmin) d = fpmin;
    c = 1 + aa / c;
    if (Math.abs(c) < fpmin) c = fpmin;
    d = 1 / d;
    const de = d * c;
    h *= de;
    if (Math.abs(de - 1) < eps) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b) (Numerical Recipes `betai`). */
export function regularizedBeta(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnBt = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const bt = Math.exp(lnBt);
  if (x < (a + 1) / (a + b + 2)) return (bt * betaContinuedFraction(a, b, x)) / a;
  return 1 - (bt * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** LoadGen odds(): P(≤ t over-latency among h + t trials | over-latency rate 1 − p + d) = I_{p−d}(h, t + 1). */
function odds(h: number, t: number, p: number, d: number): number {
  return regularizedBeta(h, 1 + t, p - d);
}

/** The fewest under-latency queries h with odds(h, t) < 1 − c (LoadGen MinPassingQueriesFinder). */
export function minPassing(t: number, p: number, d = TOLERANCE, c = CONFIDENCE): number {
  const target = 1 - c;
  let lo = 1;
  let hi = 2;
  while (odds(hi, t, p, d) >= target) hi *= 2;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (odds(mid, t, p, d) < target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Largest t ≥ 1 with n ≥ minPassing(t) + t; 0 below the floor (results.cc:162-226). */
export function discardCount(n: number, p: number, d = TOLERANCE, c = CONFIDENCE): number {
  if (minPassing(1, p, d, c) + 1 > n) return 0;
  let lo = 1;
  let hi = 2;
  while (minPassing(hi, p, d, c) + hi <= n) hi *= 2;
  while (lo < hi - 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (minPassing(mid, p, d, c) + mid <= n) lo = mid;
    else hi = mid;
  }
  return lo;
}

const floors = new Map<number, number>();

/** The fewest samples that give an estimate at percentile `percent` (0–100): 64 at p90, 662 at p99. */
export function sampleFloor(percent: number): number {
  let floor = floors.get(percent);
  if (floor === undefined) {
    floor = minPassing(1, percent / 100) + 1;
    floors.set(percent, floor);
  }
  return floor;
}

/** The estimate at `percent` (grid convention, e.g. 99.9) of an ascending-sorted series; null below the floor. */
export function earlyStoppingEstimate(sorted: Float64Array, percent: number): number | null {
  if (!(percent >= 1 && percent < 100)) throw new RangeError(`percentile must be in [1, 100): ${percent}`);
  const n = sorted.length;
  if (n < sampleFloor(percent)) return null;
  return sorted[n - discardCount(n, percent / 100)];
}

/** Every grid percentile from p50 up, keyed as the `percentiles` grid is. */
export function earlyStoppingPercentiles(sorted: Float64Array): EarlyStoppingPercentiles {
  const out: EarlyStoppingPercentiles = {};
  for (const key of EARLY_STOPPING_KEYS) out[key] = earlyStoppingEstimate(sorted, Number(key));
  return out;
}
