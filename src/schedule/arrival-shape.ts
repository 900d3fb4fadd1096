/**
 * The arrival shape of a run, as plain data in every shard's plan, and the shard-side factory that
 * turns it into arrival times. Shapes: poisson (exponential gaps), gamma (--burstiness K ≠ 1),
 * constant (fixed gaps), trace (send times from a file), each on absolute deadlines from the start;
 * --ramp-up applies to the rate shapes and to concurrency.
 */
import { SeededRandom } from '../dataset/seeded-random.js';
import { ConstantGaps, ExponentialGaps, GammaGaps, type GapSampler } from './interarrival-gaps.js';
import { OffsetArrivals, RateArrivals, type ArrivalTimes } from './rate-arrivals.js';

export type ArrivalShape = 'poisson' | 'gamma' | 'constant' | 'trace';

export interface ArrivalPlan {
  shape: ArrivalShape;
  /** The whole run's rate, req/s (rate shapes). */
  qps: number;
  /** Gamma shape K (--burstiness); 1 = Poisson. */
  burstiness: number;
  /** Rate (or concurrency) rises linearly from 0 over this long; 0 = at full load from the start. */
  rampUpNs: number;
  /** trace: this shard's send times, ns after the start (global arrivals i, i + N, …). */
  traceOffsetsNs?: number[];
  /** concurrency with a ramp: when each of this shard's slots opens, ns after the start. */
  slotOpensNs?: number[];
}

/** Plain Poisson at the run's rate `qps` (a plan made without an arrival shape). */
export function poissonArrivals(qps: number): ArrivalPlan {
  return { shape: 'poisson', qps, burstiness: 1, rampUpNs: 0 };
}

/** Stream name: arrival gaps never share random numbers with other seeded consumers. */
const RANDOM_STREAM = 'arrival-gaps';

/** The one global gap sequence of the run, the same in every shard (see rate-arrivals.ts). */
function gapSampler(plan: ArrivalPlan, seed: number): GapSampler {
  const rng = SeededRandom.derive(seed, RANDOM_STREAM);
  if (plan.shape === 'constant') return new ConstantGaps();
  if (plan.shape === 'gamma' && plan.burstiness !== 1) return new GammaGaps(rng, plan.burstiness);
  return new ExponentialGaps(rng);
}

/** Shard `shardIndex` of `shardCount`: its arrivals of the run's one sequence. */
export function arrivalTimesFor(plan: ArrivalPlan, seed: number, shardIndex: number, shardCount: number): ArrivalTimes {
  if (plan.shape === 'trace') return new OffsetArrivals(plan.traceOffsetsNs ?? []);
  return new RateArrivals(gapSampler(plan, seed), plan.qps, shardIndex, shardCount, plan.rampUpNs);
}

/** The plan of shard `shardIndex` of `shardCount` for a run (null: offline, or concurrency without a ramp). */
export function shardArrivalPlan(
  run: {
    loadPattern: string;
    targetQps?: number;
    concurrency?: number;
    burstiness: number;
    rampUp: number;
    timeScale: number;
  },
  traceOffsetsNs: readonly number[] | null,
  shardIndex: number,
  shardCount: number,
): ArrivalPlan | null {
  const rampUpNs = run.rampUp * 1e6;
  const base = { qps: run.targetQps ?? 0, burstiness: run.burstiness, rampUpNs };
  switch (run.loadPattern) {
    case 'poisson':
      return { ...base, shape: run.burstiness === 1 ? 'poisson' : 'gamma' };
    case 'constant':
      return { ...base, shape: 'constant' };
    case 'trace':
      return { ...base, shape: 'trace', traceOffsetsNs: everyNth(traceOffsetsNs ?? [], shardIndex, shardCount) };
    case 'concurrency':
      if (rampUpNs <= 0) return null;
      return {
        ...base,
        shape: 'poisson',
        slotOpensNs: rampSlotOpenings(run.concurrency ?? 0, rampUpNs, shardIndex, shardCount),
      };
    default:
      return null;
  }
}

/** This shard's share of a global list: items i, i + N, i + 2N, … */
export function everyNth<T>(items: readonly T[], shardIndex: number, shardCount: number): T[] {
  const out: T[] = [];
  for (let k = shardIndex; k < items.length; k += shardCount) out.push(items[k]);
  return out;
}

/**
 * --ramp-up for concurrency: global slot j of C opens at rampUp · j / C (one slot at the start, all C
 * by the end of the ramp: a linear staircase). Slot j belongs to shard j mod N, which gives each
 * shard the share splitIntoShards does (⌊C/N⌋, one more for the first C mod N): its slot open times,
 * ns after the start, in order.
 */
export function rampSlotOpenings(
  concurrency: number,
  rampUpNs: number,
  shardIndex: number,
  shardCount: number,
): number[] {
  const out: number[] = [];
  for (let j = shardIndex; j < concurrency; j += shardCount) out.push(rampUpNs > 0 ? (rampUpNs * j) / concurrency : 0);
  return out;
}
