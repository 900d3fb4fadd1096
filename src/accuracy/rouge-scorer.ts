/**
 * ROUGE-1, ROUGE-2 and ROUGE-L F1 for summaries, tokenized as Google's `rouge_score` does (the
 * package MLPerf Endpoints' `rouge` scorer calls, with `use_stemmer=True`): lower case, every run
 * of characters other than a–z and 0–9 is a separator, tokens longer than 3 characters
 * Porter-stemmed. The score is ROUGE-L; rouge1/rouge2/rougeL are in the breakdown. The stemmer is
 * the original Porter algorithm (npm `stemmer`); NLTK's, which rouge_score uses, adds a few
 * extensions, so a rare word may stem differently. rougeLsum (sentence-level LCS union) is not
 * computed.
 */
import { stemmer } from 'stemmer';
import type { Scorer } from './scorer.js';

export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((t) => t !== '')
    .map((t) => (t.length > 3 ? stemmer(t) : t));
}

function f1(overlap: number, predicted: number, reference: number): number {
  if (overlap === 0 || predicted === 0 || reference === 0) return 0;
  const precision = overlap / predicted;
  const recall = overlap / reference;
  return (2 * precision * recall) / (precision + recall);
}

function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export function rougeN(predicted: readonly string[], reference: readonly string[], n: number): number {
  const p = ngrams(predicted, n);
  const r = ngrams(reference, n);
  let overlap = 0;
  for (const [key, count] of p) overlap += Math.min(count, r.get(key) ?? 0);
  return f1(overlap, Math.max(0, predicted.length - n + 1), Math.max(0, reference.length - n + 1));
}

/** Longest common subsequence length, one row at a time (O(n·m) time, O(m) memory). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Uint32Array(b.length + 1);
  let current = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++)
      current[j] = a[i - 1] === b[j - 1] ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
    [previous, current] = [current, previous];
  }
  return previous[b.length];
}

export function rougeScores(value: string, truth: string): { rouge1: number; rouge2: number; rougeL: number } {
  const p = rougeTokens(value);
  const r = rougeTokens(truth);
  return { rouge1: rougeN(p, r, 1), rouge2: rougeN(p, r, 2), rougeL: f1(lcsLength(p, r), p.length, r.length) };
}

export const rougeScorer: Scorer = {
  id: 'rouge',
  help: 'ROUGE-L F1 against the reference summary (rouge1, rouge2 and rougeL in the breakdown)',
  defaultExtractor: 'identity_extractor',
  score: (value, truth) => (value === null ? 0 : rougeScores(value, truth).rougeL),
  breakdown: (value, truth) => (value === null ? { rouge1: 0, rouge2: 0, rougeL: 0 } : rougeScores(value, truth)),
};
