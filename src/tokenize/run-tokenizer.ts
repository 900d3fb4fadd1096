/**
 * The run's tokenizer, from `--tokenizer`: loaded before the run (a bad path is exit 2 before any
 * load; `server` is probed once so a server without /tokenize is said before the run), used after
 * it to count prompts (count-prompts.ts). The seam run-benchmark.ts calls.
 */
import type { RequestOptions } from '../api/openai-request.js';
import type { Sample } from '../dataset/sample.js';
import type { TokenizerCounts } from '../metrics/token-counts.js';
import type { RequestRecord } from '../record/request-record.js';
import type { ResolvedEndpoint } from '../shard/shard-plan.js';
import { countPrompts } from './count-prompts.js';
import { loadLocalTokenizer, type LocalTokenizer } from './local-tokenizer.js';
import type { PromptCounter } from './prompt-counter.js';
import { connectServerTokenizer } from './server-tokenizer.js';

export const SERVER_TOKENIZER = 'server';

/** `--tokenizer`'s value as loaded: a local tokenizer, `server` (connected later), or none. */
export type TokenizerChoice = { kind: 'local'; tokenizer: LocalTokenizer } | { kind: 'server' } | { kind: 'none' };

/** Throws BadInputError (tokenizer_invalid) for a path that is not a tokenizer. */
export function loadTokenizerChoice(value: string | undefined): TokenizerChoice {
  if (value === undefined) return { kind: 'none' };
  if (value === SERVER_TOKENIZER) return { kind: 'server' };
  return { kind: 'local', tokenizer: loadLocalTokenizer(value) };
}

/** The counter for the run; probes the first endpoint's /tokenize for `server` (throws tokenize_unsupported). */
export async function openPromptCounter(
  choice: TokenizerChoice,
  endpoints: readonly ResolvedEndpoint[],
  options: { model: string; apiKey?: string },
): Promise<PromptCounter | null> {
  if (choice.kind === 'local') return choice.tokenizer;
  if (choice.kind === 'server') return connectServerTokenizer(endpoints[0], options);
  return null;
}

export interface PromptCounting {
  counter: PromptCounter;
  /** In dataset-row order: samples[r.sampleIndex] is the row a record was built from. */
  samples: readonly Sample[];
  /** The request options the shards built bodies with (chat or completions, extra body). */
  request: RequestOptions;
}

/** After the run: every completed request's prompt counted, with a line on the console. */
export async function countRunPrompts(
  counting: PromptCounting | null,
  records: Iterable<RequestRecord>,
  err: NodeJS.WritableStream,
): Promise<TokenizerCounts | undefined> {
  if (counting === null) return undefined;
  const started = performance.now();
  try {
    const counts = await countPrompts(records, counting.samples, counting.request, counting.counter);
    let rows = 0;
    for (const n of counts.counts) if (n >= 0) rows++;
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    err.write(`prompt tokens counted with ${counting.counter.description}: ${rows} prompt(s) in ${seconds} s\n`);
    if (counts.failure !== undefined) err.write(`warning: some prompts were not counted: ${counts.failure}\n`);
    return counts;
  } finally {
    await counting.counter.close();
  }
}
