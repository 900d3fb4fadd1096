/**
 * `--dataset synthetic:input=…` in a run: prompts sized with the run's tokenizer on the request
 * body the shards will send (so a chat request's template and BOS are part of the length), or in
 * words when there is no local tokenizer — then lengths are approximate and the run says so. Also
 * the fields that make the server generate exactly `output` tokens (--force-output-length).
 */
import type { RequestOptions } from '../api/openai-request.js';
import { BadInputError, ErrorCode } from '../errors.js';
import { tokenLengthDataset } from '../dataset/synthetic-dataset.js';
import { parseSyntheticSpec, type SyntheticSpec } from '../dataset/synthetic-spec.js';
import type { Sample } from '../dataset/sample.js';
import { countWords } from '../servers/mock-tokens.js';
import type { SyntheticLengths } from '../metrics/token-counts.js';
import type { ShardPlan } from '../shard/shard-plan.js';
import { promptBodyOf } from './count-prompts.js';
import type { TokenizerChoice } from './run-tokenizer.js';

export type ForceOutputLength = 'ignore_eos' | 'min_tokens' | 'both' | 'off';

export interface SyntheticWorkload {
  spec: SyntheticSpec;
  samples: Sample[];
  lengths: SyntheticLengths;
  /** For the console before the run (null: nothing to say). */
  note: string | null;
  /** How the prompts were sized and how long it took, for the console. */
  sizing: string;
}

/** The body fields that force the output length (none without output=). */
export function outputFields(spec: SyntheticSpec, mode: ForceOutputLength): Record<string, unknown> {
  if (spec.output === undefined || mode === 'off') return {};
  const fields: Record<string, unknown> = {};
  if (mode === 'ignore_eos' || mode === 'both') fields.ignore_eos = true;
  if (mode === 'min_tokens' || mode === 'both') fields.min_tokens = spec.output;
  return fields;
}

export function buildSyntheticWorkload(
  path: string,
  choice: TokenizerChoice,
  options: { seed: number; request: Pick<RequestOptions, 'apiType' | 'model' | 'extraBody'>; force: ForceOutputLength },
): SyntheticWorkload {
  let spec: SyntheticSpec;
  try {
    spec = parseSyntheticSpec(path);
  } catch (err) {
    throw new BadInputError(ErrorCode.syntheticOptionInvalid, `--dataset ${(err as Error).message}`);
  }
  const request: RequestOptions = { ...options.request, streaming: false };
  let note: string | null = null;
  let dataset;
  const started = performance.now();
  if (choice.kind === 'local') {
    const t = choice.tokenizer;
    dataset = tokenLengthDataset({
      spec,
      seed: options.seed,
      countRequest: (prompt) => t.countSync(promptBodyOf({ prompt }, request)),
      countText: (text) => t.tokenizer.encode(text, { add_special_tokens: false }).ids.length,
    });
    if (dataset.missed > 0)
      note = `synthetic lengths: ${dataset.missed} of ${spec.n} prompt(s) could not be sized to exactly their length with ${t.description} (they are the closest below).`;
  } else {
    dataset = tokenLengthDataset({ spec, seed: options.seed, countRequest: countWords, countText: countWords });
    note =
      'synthetic lengths are approximate: without --tokenizer PATH the prompts are sized in words (one word per token, ' +
      'as the mock counts; real tokenizers count about 1.3 tokens per English word, and a chat template adds more)' +
      (choice.kind === 'server'
        ? '; --tokenizer server counts their real ISL after the run.'
        : '. Pass --tokenizer PATH for exact lengths.');
  }
  const fields = Object.keys(outputFields(spec, options.force));
  const how = choice.kind === 'local' ? `with ${choice.tokenizer.description}` : 'in words';
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  return {
    spec,
    sizing: `synthetic dataset: ${spec.n} prompt(s) sized ${how} in ${seconds} s`,
    samples: dataset.samples,
    note,
    lengths: {
      input: spec.input,
      output: spec.output ?? null,
      range: spec.range,
      prefix: spec.prefix,
      exact: choice.kind === 'local' && dataset.missed === 0,
      output_fields: fields,
      note,
    },
  };
}

/** Adds the output-length fields to every shard's request body. */
export function applyOutputFields(plans: ShardPlan[], workload: SyntheticWorkload, mode: ForceOutputLength): void {
  const fields = outputFields(workload.spec, mode);
  if (Object.keys(fields).length === 0) return;
  for (const plan of plans) plan.request.extraBody = { ...plan.request.extraBody, ...fields };
}
