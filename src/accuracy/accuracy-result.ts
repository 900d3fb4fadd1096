/**
 * One accuracy dataset's outcome, as `accuracy/accuracy_results.json` writes it. The denominator
 * is every sample issued (× repeats), as MLPerf Endpoints divides by the issued count: a request
 * that failed or never finished scores 0, so a partial run cannot look more accurate than it is.
 */
import type { Extractor } from './extractor.js';
import type { Scorer } from './scorer.js';

/** One answer to one sample in one repeat. */
export interface AccuracyAnswer {
  /** Row of the accuracy dataset. */
  sample: number;
  /** 0-based repeat (`--accuracy-repeats`). */
  repeat: number;
  /** The answer text (content, without reasoning), or null when the request failed. */
  text: string | null;
  /** The server's finish reason ('length' = truncated), or null. */
  finishReason: string | null;
}

/** The verdict on one answer, stored beside it. */
export interface AccuracyVerdict extends AccuracyAnswer {
  extracted: string | null;
  truth: string;
  score: number;
}

/**
 * One dataset's entry in `accuracy_results.json`'s `accuracy_scores`: MLPerf Endpoints' keys
 * first (same names and meaning), then llm-loadgen's.
 */
export interface AccuracyResult {
  dataset_name: string;
  extractor: string;
  ground_truth_column: string;
  /** Mean score over every issued answer, in [0, 1]; null when nothing was issued. */
  score: number | null;
  /** Rows of the dataset. */
  unit_samples: number;
  num_repeats: number;
  /** Answers issued: unit_samples × num_repeats (the denominator). */
  total_samples: number;
  /** Wall-clock of this dataset's phase, s. */
  duration_s: number;
  /** False when some issued answers never came back (a cut or failed run). */
  complete: boolean;
  dataset_type: 'accuracy';
  eval_method: string;
  /** Answers that came back and were scored. */
  n_scored: number;
  /** Requests that failed or never came back: scored 0. */
  failures: number;
  /** Answers in which the extractor found nothing: scored 0. */
  extractor_misses: number;
  /** Answers cut at max tokens (finish_reason "length"). */
  truncated: number;
  /** The mean score of each repeat (pass@1 of each attempt). */
  per_repeat_scores: number[];
  /**
   * 95 % confidence interval of the score: Wilson's for right/wrong scores, Student's t over the
   * per-answer scores for graded ones (ROUGE).
   */
  ci95: { low: number; high: number; method: 'wilson' | 't' } | null;
  /** Mean of each breakdown figure (ROUGE's rouge1, rouge2, rougeL). */
  breakdown?: Record<string, number>;
}

export interface ScoreOptions {
  datasetName: string;
  groundTruthColumn: string;
  scorer: Scorer;
  extractor: Extractor;
  /** Ground truth of each row. */
  truths: readonly string[];
  repeats: number;
  durationS: number;
}

/** Wilson score interval at 95 % for k successes in n trials. */
export function wilsonInterval(k: number, n: number): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const z = 1.959963984540054;
  const p = k / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  // At k = 0 and k = n the bound is exactly 0 (or 1); floating point would give 1 − 1e-16.
  return { low: k === 0 ? 0 : Math.max(0, centre - half), high: k === n ? 1 : Math.min(1, centre + half) };
}

/** Two-sided 97.5 % quantile of Student's t with `df` degrees of freedom (a table to 10, log-linear between, then a Cornish–Fisher expansion: within 2e-4 at integer df; fractional df within 0.5 % from 2, 3 % below). */
export function tQuantile975(df: number): number {
  if (df >= 1e6) return 1.959963984540054;
  const table = [12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281];
  if (df <= 1) return table[0];
  if (df <= table.length) {
    // Welch's degrees of freedom are fractional: log-linear in 1/df between the table's neighbours
    // (2.35163 vs the exact 2.35163 at 7.196; 6.17 vs 6.02 at 1.5, where the quantile turns fastest).
    const lo = Math.floor(df);
    if (lo === df) return table[lo - 1];
    const hi = lo + 1;
    const upper = hi <= table.length ? table[hi - 1] : tQuantile975(hi);
    const w = (1 / lo - 1 / df) / (1 / lo - 1 / hi);
    return Math.exp(Math.log(table[lo - 1]) + w * (Math.log(upper) - Math.log(table[lo - 1])));
  }
  // Cornish–Fisher expansion around the normal quantile; 2.20087 vs 2.20099 at df 11, exact to 1e-5 from df 20.
  const z = 1.959963984540054;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3;
}

export function scoreAnswers(
  options: ScoreOptions,
  answers: readonly AccuracyAnswer[],
): { result: AccuracyResult; verdicts: AccuracyVerdict[] } {
  const { scorer, extractor, truths, repeats } = options;
  const n = truths.length * repeats;
  const verdicts: AccuracyVerdict[] = [];
  const perRepeatSum = new Float64Array(repeats);
  const breakdownSums = new Map<string, number>();
  let sum = 0;
  let sumSquares = 0;
  let failures = 0;
  let misses = 0;
  let truncated = 0;
  let graded = false;
  const seen = new Set<number>();
  for (const answer of answers) {
    if (answer.sample < 0 || answer.sample >= truths.length || answer.repeat < 0 || answer.repeat >= repeats) continue;
    const key = answer.repeat * truths.length + answer.sample;
    if (seen.has(key)) continue; // one verdict per (sample, repeat): a duplicate answer would count twice
    seen.add(key);
    const rawTruth = truths[answer.sample];
    const truth = extractor.normalizeTruth !== undefined ? extractor.normalizeTruth(rawTruth) : rawTruth;
    if (answer.finishReason === 'length') truncated++;
    if (answer.text === null) {
      failures++;
      verdicts.push({ ...answer, extracted: null, truth, score: 0 });
      continue;
    }
    const extracted = extractor.extract(answer.text);
    if (extracted === null) misses++;
    const score = scorer.score(extracted, truth);
    if (score !== 0 && score !== 1) graded = true;
    sum += score;
    sumSquares += score * score;
    perRepeatSum[answer.repeat] += score;
    if (scorer.breakdown !== undefined)
      for (const [k, v] of Object.entries(scorer.breakdown(extracted, truth)))
        breakdownSums.set(k, (breakdownSums.get(k) ?? 0) + v);
    verdicts.push({ ...answer, extracted, truth, score });
  }
  const scored = seen.size - failures;
  // Issued answers that never came back (a crash, a cut run) are failures too.
  failures += n - seen.size;
  let ci95: AccuracyResult['ci95'] = null;
  if (n > 0) {
    if (!graded) ci95 = { ...wilsonInterval(Math.round(sum), n), method: 'wilson' };
    else if (n > 1) {
      const mean = sum / n;
      const variance = Math.max(0, (sumSquares - n * mean * mean) / (n - 1));
      const half = tQuantile975(n - 1) * Math.sqrt(variance / n);
      ci95 = { low: Math.max(0, mean - half), high: Math.min(1, mean + half), method: 't' };
    }
  }
  const result: AccuracyResult = {
    dataset_name: options.datasetName,
    extractor: extractor.id,
    ground_truth_column: options.groundTruthColumn,
    score: n === 0 ? null : sum / n,
    unit_samples: truths.length,
    num_repeats: repeats,
    total_samples: n,
    duration_s: Math.round(options.durationS * 1000) / 1000,
    complete: seen.size === n,
    dataset_type: 'accuracy',
    eval_method: scorer.id,
    n_scored: scored,
    failures,
    extractor_misses: misses,
    truncated,
    per_repeat_scores: Array.from(perRepeatSum, (s) => (truths.length === 0 ? 0 : s / truths.length)),
    ci95,
  };
  if (breakdownSums.size > 0)
    result.breakdown = Object.fromEntries([...breakdownSums].map(([k, v]) => [k, n === 0 ? 0 : v / n]));
  return { result, verdicts };
}
