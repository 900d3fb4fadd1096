/**
 * Prompts for a trace with lengths (Mooncake: input_length, output_length, hash_ids): a prompt of
 * about input_length tokens and max_tokens = output_length. Lengths are approximated by words (one
 * word ≈ one token with most tokenizers' common words; token-exact synthetic prompts are helper
 * work in src/dataset/synthetic-dataset.ts, not landed yet). Prefix sharing is kept: Mooncake's
 * hash_ids name 512-token blocks, and a block's text is a function of (seed, hash id), so two rows
 * with the same leading ids share that prefix — and a server's prefix cache sees it. Block strings
 * are built once per id and shared by every row that uses them.
 */
import type { Sample } from '../dataset/sample.js';
import { SeededRandom } from '../dataset/seeded-random.js';
import type { ArrivalTrace } from './arrival-trace.js';

/** Mooncake's block size (tokens per hash id). */
export const TRACE_BLOCK_TOKENS = 512;
/** A row with lengths but no input_length gets this many words. */
const DEFAULT_INPUT_WORDS = 64;

const WORDS = (
  'amber anchor autumn bridge candle canyon cedar copper coral crystal harbor lantern meadow ' +
  'marble needle orbit pebble quartz river saddle silver summit thunder timber valley willow'
).split(' ');

function blockText(seed: number, id: number, words: number): string {
  const rng = SeededRandom.derive(seed, `trace-block-${id}`);
  const out: string[] = new Array<string>(words);
  for (let i = 0; i < words; i++) out[i] = WORDS[rng.nextIntBelow(WORDS.length)];
  return out.join(' ');
}

export function traceSamples(trace: ArrivalTrace, seed: number): Sample[] {
  const blocks = new Map<number, string>();
  const block = (id: number): string => {
    let text = blocks.get(id);
    if (text === undefined) {
      text = blockText(seed, id, TRACE_BLOCK_TOKENS);
      blocks.set(id, text);
    }
    return text;
  };
  return trace.rows.map((row, k) => {
    const words = row.inputLength ?? DEFAULT_INPUT_WORDS;
    const ids = row.hashIds ?? [];
    const parts: string[] = [];
    let have = 0;
    for (const id of ids) {
      if (have >= words) break;
      const take = Math.min(TRACE_BLOCK_TOKENS, words - have);
      parts.push(take === TRACE_BLOCK_TOKENS ? block(id) : block(id).split(' ', take).join(' '));
      have += take;
    }
    // Past the listed blocks (or with none): words of the row's own, unshared.
    if (have < words) parts.push(blockText(seed, -1 - k, words - have));
    const sample: Sample = { prompt: parts.join(' ') };
    if (row.outputLength !== undefined) sample.maxOutputTokens = row.outputLength;
    return sample;
  });
}
