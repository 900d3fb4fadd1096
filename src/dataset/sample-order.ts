/**
 * Which dataset row the k-th issued request uses. Computed up front from (size, count, seed) so
 * every shard agrees on the order without talking to the others.
 */
import { SeededRandom } from './seeded-random.js';

/** Stream name so the order never shares random numbers with other seeded consumers. */
const RANDOM_STREAM = 'sample-order';
const MAX_ROWS = 0x1_0000_0000;

/**
 * Row index for each request k < count. In order: k % datasetSize. Shuffled: the dataset is
 * replayed in passes, each a fresh seeded permutation, so every row is used once per pass.
 */
export function sampleOrder(datasetSize: number, count: number, seed: number, shuffle: boolean): Uint32Array {
  if (!Number.isSafeInteger(datasetSize) || datasetSize < 1 || datasetSize > MAX_ROWS) {
    throw new RangeError(`datasetSize must be an integer in [1, 2^32], got ${String(datasetSize)}`);
  }
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer, got ${String(count)}`);
  }
  const order = new Uint32Array(count);
  if (!shuffle) {
    for (let k = 0; k < count; k++) order[k] = k % datasetSize;
    return order;
  }

  const random = SeededRandom.derive(seed, RANDOM_STREAM);
  const permutation = new Uint32Array(datasetSize);
  for (let i = 0; i < datasetSize; i++) permutation[i] = i;
  let k = 0;
  while (k < count) {
    // Forward Fisher–Yates: position i is final once drawn, so a partial last pass can stop early.
    // Reshuffling the previous pass's permutation is as uniform as shuffling the identity.
    const passLength = Math.min(datasetSize, count - k);
    for (let i = 0; i < passLength; i++) {
      const j = i + random.nextIntBelow(datasetSize - i);
      const swap = permutation[i];
      permutation[i] = permutation[j];
      permutation[j] = swap;
      order[k++] = permutation[i];
    }
  }
  return order;
}
