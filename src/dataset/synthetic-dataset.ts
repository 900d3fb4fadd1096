/**
 * Deterministic prompts for runs without a dataset. They read like real instructions (a task, a
 * topic, a list of words to use) so servers and previews behave as with real traffic, and
 * (count, seed, promptWords) fully determine them.
 */
import { BadInputError, ErrorCode } from '../errors.js';
import type { Sample } from './sample.js';
import { SeededRandom } from './seeded-random.js';

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
