/**
 * What a sweep runs next, from the steps done so far (each scheme is a pure function of them):
 * - values: one step per --concurrency or --target-qps value;
 * - guidellm (`sweep`): guidellm's sweep profile — a synchronous step (one request at a time), a
 *   throughput step (--sweep-max-concurrency in flight, guidellm's max_concurrency 512), then N
 *   rates spaced evenly between their two rates (np.linspace(sync, throughput, N + 1)[1:]: the last
 *   is the throughput rate), at constant gaps by default as guidellm's strategy_type does;
 * - max-goodput (`sweep --find-max-goodput`): the same two first steps, then a bisection over rate
 *   between the synchronous rate and the throughput rate for the highest rate whose step passes its
 *   SLOs (and --sweep-max-error-rate); it first tries the throughput rate itself.
 */
import type { BenchmarkSettingsInput } from '../config/benchmark-settings.js';
import type { SweepStepKind, SweepStepRow, SweepSummary } from './sweep-summary.js';

export interface SweepStepPlan {
  kind: SweepStepKind;
  target: number;
  /** What this step changes in the run's settings. */
  overrides: Partial<BenchmarkSettingsInput>;
}

export interface SweepScheme {
  scheme: SweepSummary['scheme'];
  next(done: readonly SweepStepRow[]): SweepStepPlan | null;
  /** max-goodput: the answer, from every step done. */
  result?(done: readonly SweepStepRow[]): number | null;
  /** Steps whose failure does not stop the sweep early (guidellm: the throughput step pushes past capacity on purpose). */
  exempt?(row: SweepStepRow): boolean;
}

export type RatePattern = 'poisson' | 'constant';

export function concurrencyStep(kind: SweepStepKind, c: number): SweepStepPlan {
  // No burstiness on a concurrency step (it is a poisson option).
  return {
    kind,
    target: c,
    overrides: { loadPattern: 'concurrency', concurrency: c, targetQps: undefined, burstiness: undefined },
  };
}

export function rateStep(rate: number, pattern: RatePattern): SweepStepPlan {
  return { kind: 'rate', target: rate, overrides: { loadPattern: pattern, targetQps: rate, concurrency: undefined } };
}

export function valuesScheme(
  kind: 'concurrency' | 'rate',
  values: readonly number[],
  pattern: RatePattern,
): SweepScheme {
  return {
    scheme: 'values',
    next: (done) => {
      if (done.length >= values.length) return null;
      const v = values[done.length];
      return kind === 'concurrency' ? concurrencyStep('concurrency', v) : rateStep(v, pattern);
    },
  };
}

/** np.linspace(a, b, n + 1)[1:]: n rates after a, the last b. */
export function spacedRates(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * (i + 1)) / n);
}

export function guidellmScheme(rates: number, maxConcurrency: number, pattern: RatePattern): SweepScheme {
  return {
    scheme: 'guidellm',
    next: (done) => {
      if (done.length === 0) return concurrencyStep('synchronous', 1);
      if (done.length === 1) return concurrencyStep('throughput', maxConcurrency);
      const sync = done[0].achieved_rate;
      const max = done[1].achieved_rate;
      if (!(sync > 0) && !(max > 0)) return null;
      const planned = spacedRates(sync, max, rates);
      const i = done.length - 2;
      return i < planned.length && planned[i] > 0 ? rateStep(planned[i], pattern) : null;
    },
    exempt: (row) => row.kind === 'throughput',
  };
}

export interface BisectOptions {
  maxConcurrency: number;
  pattern: RatePattern;
  /** Stop when (hi − lo) / hi is at most this. */
  tolerance: number;
  /** Rate steps at most (after the two first). */
  maxRateSteps: number;
  /** A step passes when its SLOs held and its error rate is at most this. */
  maxErrorRate: number;
}

export function maxGoodputScheme(o: BisectOptions): SweepScheme {
  const passed = (r: SweepStepRow) => r.slo_passed !== false && r.error_rate <= o.maxErrorRate;
  /** The bracket after the rate steps done: lo passes (or is the synchronous rate), hi fails. */
  const bracket = (done: readonly SweepStepRow[]) => {
    let lo = done[0].achieved_rate;
    let hi = done[1].achieved_rate;
    let best: number | null = null;
    let hiPassed = false;
    for (const r of done.slice(2)) {
      if (passed(r)) {
        lo = r.target;
        best = Math.max(best ?? 0, r.target);
        if (r.target >= hi) hiPassed = true;
      } else hi = r.target;
    }
    return { lo, hi, best, hiPassed };
  };
  return {
    scheme: 'max-goodput',
    next: (done) => {
      if (done.length === 0) return concurrencyStep('synchronous', 1);
      if (done.length === 1) return concurrencyStep('throughput', o.maxConcurrency);
      if (!passed(done[0]) || !(done[1].achieved_rate > 0)) return null;
      if (done.length === 2) return rateStep(done[1].achieved_rate, o.pattern);
      const { lo, hi, hiPassed } = bracket(done);
      if (hiPassed || done.length - 2 >= o.maxRateSteps || (hi - lo) / hi <= o.tolerance) return null;
      return rateStep((lo + hi) / 2, o.pattern);
    },
    result: (done) => (done.length < 3 ? null : bracket(done).best),
    // Every step is reported; a failing one narrows the search, it does not end it.
    exempt: () => true,
  };
}
