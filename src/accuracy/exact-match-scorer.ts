/**
 * Right when the extracted answer equals the ground truth exactly: MLPerf Endpoints' `pass_at_1`
 * (also `exact_match`), the scorer of multiple-choice and AIME-style answers. `string_match`
 * compares with surrounding whitespace trimmed, as the reference's does.
 */
import type { Scorer } from './scorer.js';

export const passAt1Scorer: Scorer = {
  id: 'pass_at_1',
  help: 'exact equality of the extracted answer and the ground truth (one attempt per sample)',
  defaultExtractor: 'identity_extractor',
  score: (value, truth) => (value !== null && value === truth ? 1 : 0),
};

export const exactMatchScorer: Scorer = { ...passAt1Scorer, id: 'exact_match' };

export const stringMatchScorer: Scorer = {
  id: 'string_match',
  help: 'equality with surrounding whitespace trimmed',
  defaultExtractor: 'identity_extractor',
  score: (value, truth) => (value !== null && value.trim() === truth.trim() ? 1 : 0),
};
