/**
 * Test helper: fast-check settings shared by the fuzz tests. `npm test` runs each property with a
 * fixed seed and a small count (the whole fuzz set in ~10 s on a loaded 2-core box); `npm run fuzz`
 * runs the same properties longer: FUZZ_RUNS multiplies every count, FUZZ_SEED picks another seed
 * (a failure prints the seed and path that reproduce it).
 */
import fc from 'fast-check';

const SEED = 20261201;

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Parameters for fc.assert: `runs` is the count `npm test` uses; FUZZ_RUNS scales it. */
export function fuzzParameters<T>(runs: number, options: { shrink?: boolean } = {}): fc.Parameters<T> {
  const scale = envInt('FUZZ_RUNS');
  return {
    seed: envInt('FUZZ_SEED') ?? SEED,
    numRuns: scale === undefined ? runs : Math.max(1, runs * scale),
    // Known failures (todo) skip shrinking: their 100 KB inputs shrink for minutes.
    endOnFailure: options.shrink === false,
  };
}

/** Cut points for splitting `length` bytes into reads: sorted, distinct, inside (0, length). */
export function splitPoints(length: number, raw: number[]): number[] {
  if (length <= 1) return [];
  return [...new Set(raw.map((r) => 1 + (r % (length - 1))))].sort((a, b) => a - b);
}

/** `bytes` cut at `cuts`, each piece a fresh buffer (as sockets deliver them). */
export function pieces(bytes: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(Buffer.from(bytes.subarray(prev, cut)));
    prev = cut;
  }
  return out;
}

/** Raw split positions: few (0–6) reads most of the time, occasionally byte-level (up to 64). */
export const rawSplits = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.nat(), { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.array(fc.nat(), { minLength: 16, maxLength: 64 }) },
);

/** A byte mutation: overwrite, insert or delete one byte at a position (taken modulo the length). */
export type Mutation = { kind: 'set' | 'insert' | 'delete'; at: number; byte: number };

export const mutations = fc.array(
  fc.record({
    kind: fc.constantFrom<Mutation['kind']>('set', 'insert', 'delete'),
    at: fc.nat(),
    // Bytes that matter to the grammars more often than any other.
    byte: fc.oneof(fc.constantFrom(10, 13, 58, 32, 48, 0x22, 0x5c, 0x7b, 0x7d, 0xef, 0xbb, 0xbf, 0), fc.nat(255)),
  }),
  { minLength: 1, maxLength: 8 },
);

export function mutate(bytes: Buffer, list: Mutation[]): Buffer {
  const a = [...bytes];
  for (const m of list) {
    const at = a.length === 0 ? 0 : m.at % (a.length + (m.kind === 'insert' ? 1 : 0));
    if (m.kind === 'set' && a.length > 0) a[at] = m.byte;
    else if (m.kind === 'insert') a.splice(at, 0, m.byte);
    else if (m.kind === 'delete' && a.length > 0) a.splice(at, 1);
  }
  return Buffer.from(a);
}
