/**
 * A small, fast, seeded PRNG shared by everything that must be reproducible from `--seed`:
 * synthetic prompts, sample order and the load schedules' inter-arrival times.
 *
 * Generator: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c),
 * 128-bit state, period 2^128 − 1, 32-bit outputs. Its state is filled by splitmix32 (the
 * SplitMix Weyl sequence with Wellons' "lowbias32" finalizer), as the xoshiro authors advise,
 * so nearby seeds give unrelated sequences.
 */

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_26 = 0x400_0000;
const TWO_POW_53 = 2 ** 53;
const GOLDEN_GAMMA = 0x9e3779b9;

/** Tags that keep `new SeededRandom(s)`, numbered streams and named streams apart. */
const DOMAIN_ROOT = 0x524f4f54;
const DOMAIN_NUMBERED = 0x4e554d42;
const DOMAIN_NAMED = 0x4e414d45;

/** Wellons' lowbias32 finalizer: a bijective 32-bit hash with good avalanche. */
function mix32(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Folds one 32-bit word into a running hash (order-sensitive). */
function absorb(hash: number, word: number): number {
  return mix32((hash + GOLDEN_GAMMA) ^ word);
}

/** FNV-1a over UTF-16 code units: turns a stream name into a word to absorb. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

/** Splits an integer (up to ±2^53) into its low and high 32-bit words, so large seeds stay distinct. */
function integerWords(value: number, what: string): [number, number] {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`${what} must be a safe integer, got ${String(value)}`);
  }
  return [value >>> 0, Math.floor(value / TWO_POW_32) >>> 0];
}

export type Xoshiro128State = readonly [number, number, number, number];

export class SeededRandom {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** A generator for `seed` (any safe integer). Same seed ⇒ same sequence. */
  constructor(seed: number) {
    const [lo, hi] = integerWords(seed, 'seed');
    this.fill(absorb(absorb(absorb(0, DOMAIN_ROOT), lo), hi));
  }

  /**
   * An independent generator for sub-stream `stream` of `seed`: a shard index (number) or a
   * consumer's name (string, e.g. 'sample-order'). Streams differ from each other and from
   * `new SeededRandom(seed)`; with 128 bits of hashed state, overlap is negligible.
   */
  static derive(seed: number, stream: number | string): SeededRandom {
    const [lo, hi] = integerWords(seed, 'seed');
    let hash = absorb(absorb(0, DOMAIN_ROOT), lo);
    hash = absorb(hash, hi);
    if (typeof stream === 'number') {
      const [streamLo, streamHi] = integerWords(stream, 'stream');
      hash = absorb(absorb(absorb(hash, DOMAIN_NUMBERED), streamLo), streamHi);
    } else {
      hash = absorb(absorb(absorb(hash, DOMAIN_NAMED), hashName(stream)), stream.length);
    }
    const random = new SeededRandom(0);
    random.fill(hash);
    return random;
  }

  /** A generator starting from a raw xoshiro128** state (not all zero); for reference-vector tests. */
  static fromState(state: Xoshiro128State): SeededRandom {
    const random = new SeededRandom(0);
    random.setState(state);
    return random;
  }

  /** The next 32-bit output, an integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /**
   * A float in [0, 1) with 53 random bits (two draws), so every double step is reachable.
   * For -ln(u) style sampling use `1 - nextFloat()`, which is in (0, 1].
   */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * TWO_POW_26 + low) / TWO_POW_53;
  }

  /** An unbiased integer in [0, bound), for 1 ≤ bound ≤ 2^32 (rejection sampling). */
  nextIntBelow(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_POW_32) {
      throw new RangeError(`bound must be an integer in [1, 2^32], got ${String(bound)}`);
    }
    // Reject the top partial block of 2^32 so every residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % bound;
  }

  /** Fills the state from splitmix32 run on `hash`. */
  private fill(hash: number): void {
    let weyl = hash;
    const next = (): number => {
      weyl = (weyl + GOLDEN_GAMMA) >>> 0;
      return mix32(weyl);
    };
    this.setState([next(), next(), next(), next()]);
  }

  private setState(state: Xoshiro128State): void {
    const [a, b, c, d] = state;
    if ((a | b | c | d) === 0) {
      // The all-zero state is xoshiro's one fixed point: it would output 0 forever.
      throw new RangeError('xoshiro128** state must not be all zero');
    }
    this.s0 = a | 0;
    this.s1 = b | 0;
    this.s2 = c | 0;
    this.s3 = d | 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
