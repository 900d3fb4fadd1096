/**
 * Microbenchmark: sorting a 10M-value series (ITL-like integer nanoseconds) with the built-in
 * TypedArray sort and with metrics/float64-sort.ts, alternating, in one process.
 *
 *   node --import tsx bench/micro-sort.ts
 */
import { sortFloat64InPlace } from '../src/metrics/float64-sort.js';

const n = 10_000_000;
const input = Float64Array.from({ length: n }, () => Math.round(Math.random() * 5e7));
for (let round = 0; round < 4; round++) {
  const copy = input.slice();
  const t0 = process.hrtime.bigint();
  if (round % 2 === 0) copy.sort();
  else sortFloat64InPlace(copy);
  console.log(
    `${round % 2 === 0 ? 'built-in' : 'radix   '} ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms for ${n / 1e6}M values`,
  );
}
