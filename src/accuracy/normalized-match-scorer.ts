/**
 * Equality after normalizing both sides the way SQuAD-style graders do: lower case, punctuation
 * and the articles a/an/the removed, whitespace collapsed. For short free-text answers.
 */
import type { Scorer } from './scorer.js';

export function normalizeAnswer(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, ' ')
    .replace(/\b(?:a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export const normalizedMatchScorer: Scorer = {
  id: 'normalized_match',
  help: 'equality after lower-casing and removing punctuation, articles and extra whitespace',
  defaultExtractor: 'identity_extractor',
  score: (value, truth) => (value !== null && normalizeAnswer(value) === normalizeAnswer(truth) ? 1 : 0),
};
