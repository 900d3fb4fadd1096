/**
 * One dataset of a run, as MLPerf Endpoints writes it: a `datasets[]` entry in YAML, or a
 * `--dataset [perf:|acc:]PATH[,key=value…]` string on the command line (its grammar:
 * `parse_dataset_string` in inference_endpoint/config/utils.py). Both become a DatasetSpec.
 */
import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { isSyntheticPath, parseSyntheticSpec } from '../dataset/synthetic-spec.js';

export interface DatasetSpec {
  name?: string;
  type: 'performance' | 'accuracy';
  path: string;
  /** File format when the extension does not say it (`jsonl`, `json`). */
  format?: string;
  /** Use only the first N rows. */
  samples?: number;
  /** Column remapping: which column holds the prompt, and which one the system prompt. */
  parser?: { prompt?: string; system?: string };
  /** The prompt built from the row's columns (`{question}\n(A) {choice1}…`); ours, MLPerf has presets in code. */
  prompt_template?: string;
  /** MLPerf Endpoints' shorthand for accuracy_config.eval_method. */
  eval_method?: string;
  /** How an accuracy dataset is scored (MLPerf Endpoints' AccuracyConfig). */
  accuracy_config?: AccuracyConfig;
}

export interface AccuracyConfig {
  /** The scorer: pass_at_1, string_match, rouge, … (see docs/accuracy.md). */
  eval_method?: string;
  /** The column with each row's answer; default `ground_truth`. */
  ground_truth?: string;
  /** The extractor applied to the answer before scoring; default: the scorer's. */
  extractor?: string;
  /** Times each row is sent (pass@k-style sampling); default --accuracy-repeats. */
  num_repeats?: number;
}

/** A datasets[] entry (YAML) — keys MLPerf Endpoints has but llm-loadgen does not use are removed before this. */
export const DatasetEntrySchema = z.strictObject({
  name: z.string().optional(),
  type: z.enum(['performance', 'accuracy']).default('performance'),
  path: z.string().min(1, 'give the dataset file path'),
  format: z.string().min(1).optional(),
  samples: z.number().int().positive().optional(),
  parser: z.strictObject({ prompt: z.string().min(1).optional(), system: z.string().min(1).optional() }).optional(),
  prompt_template: z.string().min(1).optional(),
  eval_method: z.string().min(1).optional(),
  accuracy_config: z
    .strictObject({
      eval_method: z.string().min(1).optional(),
      ground_truth: z.string().min(1).optional(),
      extractor: z.string().min(1).optional(),
      num_repeats: z.number().int().positive().optional(),
    })
    .optional(),
});

/** The keys a `--dataset` string may set after its path. */
const STRING_KEYS = [
  'name',
  'format',
  'samples',
  'parser.prompt',
  'parser.system',
  'eval_method',
  'ground_truth',
  'extractor',
  'num_repeats',
] as const;

/** Parse `[perf:|acc:]PATH[,key=value…]`. Throws Error with a message for the user. */
export function parseDatasetString(text: string): DatasetSpec {
  // synthetic:input=N,…: a workload by token length (dataset/synthetic-spec.ts), its own grammar.
  if (isSyntheticPath(text)) return { type: 'performance', path: parseSyntheticSpec(text).text };
  const [head, ...options] = text.split(',');
  let path = head.trim();
  let type: DatasetSpec['type'] = 'performance';
  const prefix = /^(perf|acc):/.exec(path);
  if (prefix !== null) {
    type = prefix[1] === 'acc' ? 'accuracy' : 'performance';
    path = path.slice(prefix[0].length);
  }
  if (path === '') throw new Error(`"${text}": no path. Use [perf:|acc:]PATH[,samples=N,parser.prompt=COL,…]`);
  const spec: DatasetSpec = { type, path };
  for (const option of options) {
    const eq = option.indexOf('=');
    if (eq < 0) {
      const hint = option.includes(':') ? " (did you mean '=' instead of ':'?)" : '';
      throw new Error(`"${option}" in "${text}": expected key=value${hint}, e.g. samples=500,parser.prompt=article`);
    }
    const key = option.slice(0, eq).trim();
    const value = option.slice(eq + 1).trim();
    if (!(STRING_KEYS as readonly string[]).includes(key)) {
      const guess = didYouMean(key, STRING_KEYS);
      throw new Error(
        `"${key}" in "${text}": unknown dataset option${guess === null ? '' : ` (did you mean ${guess}?)`}; ` +
          `llm-loadgen takes ${STRING_KEYS.join(', ')}`,
      );
    }
    if (key === 'samples' || key === 'num_repeats') {
      const n = Number(value);
      if (value === '' || !Number.isInteger(n) || n <= 0)
        throw new Error(`${key}=${value} in "${text}": expected a positive integer`);
      if (key === 'samples') spec.samples = n;
      else spec.accuracy_config = { ...spec.accuracy_config, num_repeats: n };
    } else if (key === 'eval_method' || key === 'ground_truth' || key === 'extractor') {
      if (value === '') throw new Error(`${key}= in "${text}": give a value`);
      spec.accuracy_config = { ...spec.accuracy_config, [key]: value };
    } else if (key === 'parser.prompt' || key === 'parser.system') {
      if (value === '') throw new Error(`${key}= in "${text}": name a column`);
      spec.parser = { ...spec.parser, [key.slice('parser.'.length)]: value };
    } else if (key === 'format') spec.format = value;
    else spec.name = value;
  }
  return spec;
}

/** The spec as a datasets[] YAML entry. */
export function datasetEntryForYaml(spec: DatasetSpec): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  if (spec.name !== undefined) entry.name = spec.name;
  entry.type = spec.type;
  entry.path = spec.path;
  if (spec.format !== undefined) entry.format = spec.format;
  if (spec.samples !== undefined) entry.samples = spec.samples;
  if (spec.parser !== undefined) entry.parser = { ...spec.parser };
  if (spec.prompt_template !== undefined) entry.prompt_template = spec.prompt_template;
  if (spec.eval_method !== undefined) entry.eval_method = spec.eval_method;
  if (spec.accuracy_config !== undefined) entry.accuracy_config = { ...spec.accuracy_config };
  return entry;
}
