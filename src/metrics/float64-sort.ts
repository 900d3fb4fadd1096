/**
 * Ascending sort of a Float64Array, in place, for the big series (a run's ITL series holds one
 * value per token: tens of millions). Hand-written because the built-in TypedArray sort is slow
 * at that size: `node --import tsx bench/micro-sort.ts` measured 1,767–1,775 ms for 10M values
 * against 602–683 ms for this LSD radix sort over the IEEE-754 bit patterns (16-bit digits,
 * skipping digits every value shares). test/metrics/float64-sort.test.ts holds it equal to the
 * built-in sort, element for element.
 *
 * Order is numeric for finite values and infinities; NaN is never in a series (they are
 * filtered before), and -0 sorts just before 0 (equal as numbers, so percentiles are unchanged).
 */

/** Below this length the built-in sort is fast enough and needs no scratch space. */
const RADIX_MIN_LENGTH = 65_536;
const DIGIT_BITS = 16;
const BUCKETS = 1 << DIGIT_BITS;

export function sortFloat64InPlace(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_MIN_LENGTH) return values.sort();
  // Keys: the bit pattern as two 32-bit words (little-endian: lo, hi), made to order as unsigned
  // integers — flip every bit of negatives, only the sign bit of the rest.
  // Words of the data and of a scratch array of the same size; each pass moves one into the other.
  let srcWords: Uint32Array = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  let dstWords: Uint32Array = new Uint32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const hi = srcWords[2 * i + 1];
    if (hi >>> 31 === 1) {
      srcWords[2 * i] = ~srcWords[2 * i] >>> 0;
      srcWords[2 * i + 1] = ~hi >>> 0;
    } else {
      srcWords[2 * i + 1] = (hi | 0x8000_0000) >>> 0;
    }
  }
  const counts = new Uint32Array(BUCKETS);
  // Four 16-bit digits: two from the low word, two from the high word.
  for (let pass = 0; pass < 4; pass++) {
    const word = pass < 2 ? 0 : 1;
    const shift = (pass % 2) * DIGIT_BITS;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(srcWords[2 * i + word] >>> shift) & (BUCKETS - 1)]++;
    // A digit every value shares moves nothing: skip the pass.
    if (counts[(srcWords[word] >>> shift) & (BUCKETS - 1)] === n) continue;
    let sum = 0;
    for (let d = 0; d < BUCKETS; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const lo = srcWords[2 * i];
      const hi = srcWords[2 * i + 1];
      const at = counts[((word === 0 ? lo : hi) >>> shift) & (BUCKETS - 1)]++;
      dstWords[2 * at] = lo;
      dstWords[2 * at + 1] = hi;
    }
    const swapWords = srcWords;
    srcWords = dstWords;
    dstWords = swapWords;
  }
  // Undo the key transform (into `values` if the data ended in the scratch array).
  const outWords = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  for (let i = 0; i < n; i++) {
    const lo = srcWords[2 * i];
    const hi = srcWords[2 * i + 1];
    if (hi >>> 31 === 1) {
      outWords[2 * i] = lo;
      outWords[2 * i + 1] = (hi & 0x7fff_ffff) >>> 0;
    } else {
      outWords[2 * i] = ~lo >>> 0;
      outWords[2 * i + 1] = ~hi >>> 0;
    }
  }
  return values;
}
