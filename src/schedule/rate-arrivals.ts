/**
 * A shard's arrival times for a rate-driven run (poisson, gamma via --burstiness, constant), with an
 * optional linear ramp, as gaps from its previous arrival.
 *
 * Splitting across shards: N independent Poisson streams at λ/N merge into one Poisson stream at λ,
 * but that is true of Poisson alone — N independent gamma (or constant) streams merge into a process
 * whose gaps are neither gamma nor constant (N constant streams with random phases are not constant;
 * merged gamma streams tend to Poisson as N grows). So every shard generates the one global sequence
 * from the seed and keeps every N-th arrival: shard i takes global arrivals i, i + N, i + 2N, … The
 * merged arrivals of all shards are then exactly the intended sequence, whatever N is (checked by a
 * Kolmogorov–Smirnov test in test/schedule/arrival-shapes.test.ts). Each shard draws N gaps per
 * request it sends: ~20 ns each, so 8 shards at 20,000 req/s cost each ~3 ms of CPU a second.
 *
 * Ramp (--ramp-up T): the rate rises linearly from 0 to λ over T, then stays at λ. The arrivals are
 * the target-rate sequence u_k on a warped clock: with Λ(t) = λt²/(2T) arrivals expected by t < T
 * and λ(t − T/2) after, arrival k is at t = Λ⁻¹(λ u_k): √(2T u_k) while u_k < T/2, else u_k + T/2.
 * The shape of the process (gamma, constant) is kept in operational time.
 */
import type { GapSampler } from './interarrival-gaps.js';

/** Gaps between a shard's arrivals, ns; Infinity when it has no more. */
export interface ArrivalTimes {
  nextGapNs(): number;
}

export class RateArrivals implements ArrivalTimes {
  /** Offset of the last global arrival drawn, on the target-rate clock, ns. */
  private u = 0;
  /** This shard's last arrival on the wall clock (warped), ns after the start. */
  private last = 0;
  private first = true;
  private readonly meanGapNs: number;

  constructor(
    private readonly gaps: GapSampler,
    /** The whole run's rate, req/s (not the shard's share). */
    qps: number,
    private readonly shardIndex: number,
    private readonly shardCount: number,
    private readonly rampUpNs = 0,
  ) {
    if (!(qps > 0)) throw new RangeError('a rate schedule needs a positive rate');
    this.meanGapNs = 1e9 / qps;
  }

  nextGapNs(): number {
    // The first of this shard is global arrival shardIndex (shardIndex + 1 gaps); then every N-th.
    const draws = this.first ? this.shardIndex + 1 : this.shardCount;
    this.first = false;
    let sum = 0;
    for (let k = 0; k < draws; k++) sum += this.gaps.next();
    this.u += sum * this.meanGapNs;
    const t = this.warp(this.u);
    const gap = t - this.last;
    this.last = t;
    return gap;
  }

  private warp(u: number): number {
    const ramp = this.rampUpNs;
    if (ramp <= 0) return u;
    return u < ramp / 2 ? Math.sqrt(2 * ramp * u) : u + ramp / 2;
  }
}

/** Fixed offsets (a trace, already this shard's share): gaps between them, then Infinity. */
export class OffsetArrivals implements ArrivalTimes {
  private i = 0;
  private last = 0;

  constructor(private readonly offsetsNs: ArrayLike<number>) {}

  nextGapNs(): number {
    if (this.i >= this.offsetsNs.length) return Infinity;
    const t = this.offsetsNs[this.i++];
    const gap = t - this.last;
    this.last = t;
    return gap;
  }
}
