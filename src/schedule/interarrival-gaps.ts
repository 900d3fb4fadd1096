/**
 * Inter-arrival gaps with mean 1 (the schedule scales them by 1/rate), from a seeded generator:
 * exponential (Poisson arrivals), gamma with shape K (vLLM's --burstiness: theta = 1/(rate·K), so
 * K < 1 is burstier than Poisson, K > 1 smoother, K = 1 is Poisson) and constant (fixed gaps).
 * No allocation per draw: these run once per request (and once per shard per request, see
 * rate-arrivals.ts).
 */
import type { SeededRandom } from '../dataset/seeded-random.js';

export interface GapSampler {
  /** The next gap, mean 1. */
  next(): number;
}

export class ExponentialGaps implements GapSampler {
  constructor(private readonly rng: SeededRandom) {}
  /** Inverse transform; 1 − u avoids log(0). */
  next(): number {
    return -Math.log(1 - this.rng.nextFloat());
  }
}

export class ConstantGaps implements GapSampler {
  next(): number {
    return 1;
  }
}

/**
 * Gamma(shape K, scale 1/K): mean 1, variance 1/K. Marsaglia & Tsang (2000) for K ≥ 1; for K < 1,
 * Gamma(K) = Gamma(K + 1) · U^(1/K) (their note). Normals by Box–Muller, the second one kept.
 */
export class GammaGaps implements GapSampler {
  private readonly d: number;
  private readonly c: number;
  private readonly boost: number;
  private spare = NaN;

  constructor(
    private readonly rng: SeededRandom,
    private readonly shape: number,
  ) {
    if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
    const k = shape < 1 ? shape + 1 : shape;
    this.d = k - 1 / 3;
    this.c = 1 / Math.sqrt(9 * this.d);
    this.boost = shape < 1 ? 1 / shape : 0;
  }

  next(): number {
    let g = this.standardGamma();
    if (this.boost !== 0) g *= Math.pow(1 - this.rng.nextFloat(), this.boost);
    return g / this.shape;
  }

  private standardGamma(): number {
    const { d, c } = this;
    // Accepts with probability > 0.95 for every shape: the loop ends after ~1.05 rounds.
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.rng.nextFloat();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  private normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.rng.nextFloat()));
    const theta = 2 * Math.PI * this.rng.nextFloat();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}
