/** Every scorer by its name: the one registry `accuracy_config.eval_method` is looked up in. */
import { didYouMean } from '../config/did-you-mean.js';
import { exactMatchScorer, passAt1Scorer, stringMatchScorer } from './exact-match-scorer.js';
import { mathEquivalenceScorer } from './math-equivalence-scorer.js';
import { normalizedMatchScorer } from './normalized-match-scorer.js';
import { rougeScorer } from './rouge-scorer.js';
import type { Scorer } from './scorer.js';

export const SCORERS: readonly Scorer[] = [
  passAt1Scorer,
  exactMatchScorer,
  stringMatchScorer,
  normalizedMatchScorer,
  mathEquivalenceScorer,
  rougeScorer,
];

/**
 * MLPerf Endpoints' code-execution scorers. They need a sandbox that runs the model's code
 * (containers, per-test time limits), which this tool does not ship: see docs/accuracy.md.
 */
const OUT_OF_SCOPE = ['code_bench_scorer', 'swe_bench', 'livecodebench'];

/** The scorer a name asks for; throws Error naming the scorers there are. */
export function scorerByName(name: string): Scorer {
  const found = SCORERS.find((s) => s.id === name);
  if (found !== undefined) return found;
  if (OUT_OF_SCOPE.includes(name))
    throw new Error(
      `eval_method "${name}" runs the model's code, which needs a sandbox llm-loadgen does not have; ` +
        'score those answers with the benchmark’s own harness from the stored answers (docs/accuracy.md)',
    );
  const ids = SCORERS.map((s) => s.id);
  const guess = didYouMean(name, ids);
  throw new Error(
    `unknown eval_method "${name}"${guess === null ? '' : ` (did you mean ${guess}?)`}; there are ${ids.join(', ')}`,
  );
}
