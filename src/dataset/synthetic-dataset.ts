/**
 * Deterministic prompts for runs without a dataset, and for `--dataset synthetic:input=…` (by token
 * length: tokenLengthDataset). They read like real instructions (a task, a topic, a list of words
 * to use) so servers and previews behave as with real traffic, and their options and the seed
 * fully determine them.
 */
import { BadInputError, ErrorCode } from '../errors.js';
import type { Sample } from './sample.js';
import { SeededRandom } from './seeded-random.js';
import type { SyntheticSpec } from './synthetic-spec.js';

export interface SyntheticDatasetOptions {
  count: number;
  seed: number;
  /** Words per prompt (whitespace-separated), exactly. Default 64. */
  promptWords?: number;
}

export const DEFAULT_PROMPT_WORDS = 64;

/** Stream name so synthetic prompts never share random numbers with other seeded consumers. */
const RANDOM_STREAM = 'synthetic-dataset';

const TASKS = [
  'Write a short story about',
  'Explain in simple terms how to think about',
  'Summarize what is known about',
  'Write a poem about',
  'Describe a day spent with',
  'List the main arguments for and against',
  'Write a product description for',
  'Give step by step advice about',
] as const;

const TOPICS = [
  'a lighthouse keeper',
  'the city at night',
  'an old river boat',
  'a mountain village',
  'the first snow of winter',
  'a lost library',
  'a small robot',
  'the harbor market',
  'a desert train',
  'a quiet orchard',
  'the northern lights',
  'a clockmaker',
] as const;

const WORDS = [
  'amber',
  'anchor',
  'autumn',
  'bridge',
  'candle',
  'canyon',
  'cedar',
  'copper',
  'coral',
  'crystal',
  'harbor',
  'lantern',
  'marble',
  'meadow',
  'mirror',
  'orchard',
  'pebble',
  'river',
  'saddle',
  'silver',
  'thunder',
  'timber',
  'velvet',
  'whistle',
  'window',
  'garden',
  'journey',
  'letter',
  'machine',
  'morning',
  'signal',
  'station',
  'compass',
  'feather',
  'glacier',
  'horizon',
  'island',
  'kettle',
  'ladder',
  'market',
  'needle',
  'ocean',
  'paper',
  'quarry',
  'rocket',
  'shadow',
  'tunnel',
  'valley',
  'wagon',
  'yellow',
  'bright',
  'calm',
  'distant',
  'gentle',
  'hidden',
  'narrow',
  'patient',
  'quiet',
  'rapid',
  'steady',
  'carry',
  'follow',
  'gather',
  'listen',
] as const;

export function syntheticDataset(options: SyntheticDatasetOptions): Sample[] {
  const { count, seed } = options;
  const promptWords = options.promptWords ?? DEFAULT_PROMPT_WORDS;
  requirePositiveInteger(count, 'count');
  requirePositiveInteger(promptWords, 'promptWords');
  const random = SeededRandom.derive(seed, RANDOM_STREAM);
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    samples.push({ prompt: syntheticPrompt(random, promptWords) });
  }
  return samples;
}

function syntheticPrompt(random: SeededRandom, promptWords: number): string {
  const words = `${pick(random, TASKS)} ${pick(random, TOPICS)}. Use these words:`.split(' ');
  while (words.length < promptWords) words.push(pick(random, WORDS));
  words.length = promptWords;
  // End on a full stop even when the cut falls inside the task sentence.
  words[promptWords - 1] = `${words[promptWords - 1].replace(/[.:]$/, '')}.`;
  return words.join(' ');
}

function pick<T>(random: SeededRandom, items: readonly T[]): T {
  return items[random.nextIntBelow(items.length)];
}

function requirePositiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new BadInputError(
      ErrorCode.syntheticOptionInvalid,
      `synthetic dataset: ${name} must be a positive integer, got ${String(value)}.`,
    );
  }
}

/** Counts a prompt's tokens (the request's ISL for it, or bare text); words when no tokenizer. */
export type TokenCount = (text: string) => number;

export interface TokenLengthDatasetOptions {
  spec: SyntheticSpec;
  seed: number;
  /** The request's prompt tokens for this prompt text, as the server counts them (template, BOS). */
  countRequest: TokenCount;
  /** Tokens of bare text (no special tokens): what the shared prefix is measured in. */
  countText: TokenCount;
}

export interface TokenLengthDataset {
  samples: Sample[];
  /** Prompts whose count missed its target (a tokenizer that merges across words): 0 normally. */
  missed: number;
}

/** Separate from the word-count prompts' stream: adding a prefix does not change their words. */
const LENGTH_STREAM = 'synthetic-token-lengths';
/** Tries of the length search per prompt; each is one encode of the prompt. */
const MAX_FIT_STEPS = 16;
/** Words tried to top up the last token or two. */
const MAX_PAD_TRIES = 48;
/**
 * Words that top up the last tokens, shortest first: the likeliest to be one token in any
 * vocabulary (a one-letter word is one token even for a tokenizer that splits words into letters).
 */
const PAD_WORDS = [
  'a',
  'I',
  'an',
  'to',
  'of',
  'so',
  'in',
  'on',
  ...[...WORDS].sort((a, b) => a.length - b.length || a.localeCompare(b)),
];

/**
 * `--dataset synthetic:input=…`: prompts whose request counts exactly their drawn length in
 * tokens of `countRequest` (uniform in [input·(1−range), input·(1+range)], seeded), starting with
 * a shared prefix of exactly `prefix` tokens of `countText`, each with max_tokens = output. The
 * prompts are sentences of plain words; the length is found by a few encodes per prompt (a search
 * on the word count, then single words to top up the last tokens).
 */
export function tokenLengthDataset(options: TokenLengthDatasetOptions): TokenLengthDataset {
  const { spec, countRequest, countText } = options;
  const random = SeededRandom.derive(options.seed, LENGTH_STREAM);
  const lo = Math.ceil(spec.input * (1 - spec.range));
  const hi = Math.max(lo, Math.floor(spec.input * (1 + spec.range)));
  const state: FitState = { tokensPerWord: 1.3, wordTokens: new Map(), baseCounts: new Map(), countText };
  let missed = 0;

  const prefixWords: string[] = [];
  if (spec.prefix > 0) {
    const fitted = fitWords([], 'Shared context for every request:'.split(' '), random, spec.prefix, countText, state);
    prefixWords.push(...fitted.words);
    if (!fitted.exact) missed++;
  }
  const samples: Sample[] = [];
  for (let i = 0; i < spec.n; i++) {
    const target = lo + random.nextIntBelow(hi - lo + 1);
    const opening = `${pick(random, TASKS)} ${pick(random, TOPICS)}. Use these words:`.split(' ');
    const fitted = fitWords(prefixWords, opening, random, target, countRequest, state);
    if (!fitted.exact) missed++;
    const sample: Sample = { prompt: fitted.words.join(' ') };
    if (spec.output !== undefined) sample.maxOutputTokens = spec.output;
    samples.push(sample);
  }
  return { samples, missed };
}

/** What one dataset's prompts share while they are sized: estimates that save encodes. */
interface FitState {
  /** Observed tokens per word, for the search's steps. */
  tokensPerWord: number;
  /** Tokens a word adds in the middle of a text (`a word` − `a`), per word. */
  wordTokens: Map<string, number>;
  /** count(base) per base text: every prompt starts from the same prefix. */
  baseCounts: Map<string, number>;
  countText: TokenCount;
}

function wordCost(word: string, state: FitState): number {
  let cost = state.wordTokens.get(word);
  if (cost === undefined) {
    cost = Math.max(0, state.countText(`a ${word}`) - state.countText('a'));
    state.wordTokens.set(word, cost);
  }
  return cost;
}

/**
 * base + words (the opening, then random ones) such that count(text) = target; `exact` false when
 * the closest below had to do. The first guess adds up each word's tokens (one encode of the whole
 * prompt usually confirms it: 1024-token prompts cost ~7 ms an encode with tokenizers.js).
 */
function fitWords(
  base: readonly string[],
  opening: readonly string[],
  random: SeededRandom,
  target: number,
  count: TokenCount,
  state: FitState,
): { words: string[]; exact: boolean } {
  const extra: string[] = [];
  const wordAt = (k: number): string => (k < opening.length ? opening[k] : pick(random, WORDS));
  const text = (n: number): string => {
    while (extra.length < n) extra.push(wordAt(extra.length));
    return [...base, ...extra.slice(0, n)].join(' ');
  };
  const baseText = base.join(' ');
  let c0 = state.baseCounts.get(baseText);
  if (c0 === undefined) {
    c0 = count(baseText);
    state.baseCounts.set(baseText, c0);
  }
  if (c0 >= target) return { words: [...base], exact: c0 === target };
  // lo: most words known to count <= target; hi: fewest known to count more.
  let lo = 0;
  let loCount = c0;
  let hi = Infinity;
  let n = 0;
  for (let sum = c0; ; n++) {
    if (extra.length <= n) extra.push(wordAt(n));
    const cost = wordCost(extra[n], state);
    if (sum + cost > target) break;
    sum += cost;
  }
  n = Math.max(1, n);
  for (let step = 0; step < MAX_FIT_STEPS && hi - lo > 1; step++) {
    const c = count(text(n));
    if (c > c0) state.tokensPerWord = (c - c0) / n;
    if (c === target) return { words: [...base, ...extra.slice(0, n)], exact: true };
    if (c < target) {
      lo = n;
      loCount = c;
    } else hi = n;
    let next = n + Math.round((target - c) / state.tokensPerWord);
    if (next <= lo) next = lo + 1;
    if (next >= hi) next = hi - 1;
    if (next <= lo) break;
    n = next;
  }
  // The next word would overshoot: top up with short words that fit.
  const words = [...base, ...extra.slice(0, lo)];
  let c = loCount;
  // A word that fits is used again until it no longer does (a one-letter word fills any gap).
  for (let k = 0, tries = 0; tries < MAX_PAD_TRIES && k < PAD_WORDS.length && c < target; tries++) {
    const after = count([...words, PAD_WORDS[k]].join(' '));
    if (after <= target && after > c) {
      words.push(PAD_WORDS[k]);
      c = after;
    } else k++;
  }
  return { words, exact: c === target };
}
