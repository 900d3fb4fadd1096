/**
 * `--dataset synthetic:input=1024,output=256,range=0.1,prefix=512,n=1000`: a synthetic workload
 * by token length (the whole string is the dataset's path, so config.yaml writes it back as given).
 *
 * - input: the request's ISL in tokens as the server counts it (chat template and BOS included);
 * - range: each prompt's ISL is drawn uniformly from [input·(1−range), input·(1+range)] (seeded);
 * - prefix: the first `prefix` tokens of the prompt are the same in every request (prefix-cache
 *   tests); part of `input`, not added to it;
 * - output: `max_tokens` of every request, with ignore_eos / min_tokens sent so the server
 *   generates that many (--force-output-length);
 * - n: how many prompts (default 1000).
 */
export const SYNTHETIC_PREFIX = 'synthetic:';

export interface SyntheticSpec {
  input: number;
  /** Undefined: --max-output-tokens, and nothing forces the length. */
  output?: number;
  range: number;
  prefix: number;
  n: number;
  /** Canonical text (`synthetic:input=…`), the dataset path. */
  text: string;
}

export const DEFAULT_SYNTHETIC_COUNT = 1000;
const KEYS = ['input', 'output', 'range', 'prefix', 'n'] as const;
/** A prompt longer than this is a typo, not a benchmark (and would take minutes to fit). */
const MAX_INPUT_TOKENS = 1_000_000;

export function isSyntheticPath(path: string | undefined): boolean {
  return path !== undefined && path.trim().startsWith(SYNTHETIC_PREFIX);
}

/** Throws Error with a message for the user (the caller adds the flag or file:line). */
export function parseSyntheticSpec(text: string): SyntheticSpec {
  const body = text.trim().slice(SYNTHETIC_PREFIX.length);
  const usage = 'e.g. synthetic:input=1024,output=256,range=0.1,prefix=512,n=1000';
  const values: Partial<Record<(typeof KEYS)[number], number>> = {};
  for (const part of body.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const raw = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!(KEYS as readonly string[]).includes(key))
      throw new Error(`"${key}" in "${text}": unknown synthetic option; it takes ${KEYS.join(', ')} (${usage})`);
    const value = Number(raw);
    const k = key as (typeof KEYS)[number];
    const ok =
      raw !== '' &&
      Number.isFinite(value) &&
      (k === 'range' ? value >= 0 && value < 1 : Number.isInteger(value) && (k === 'prefix' ? value >= 0 : value > 0));
    if (!ok) {
      const want =
        k === 'range' ? 'a fraction from 0 to below 1' : k === 'prefix' ? 'an integer >= 0' : 'a positive integer';
      throw new Error(`${key}=${raw} in "${text}": expected ${want}`);
    }
    if (values[k] !== undefined) throw new Error(`${key} given twice in "${text}"`);
    values[k] = value;
  }
  if (values.input === undefined) throw new Error(`"${text}": give the input length in tokens, ${usage}`);
  if (values.input > MAX_INPUT_TOKENS)
    throw new Error(`input=${values.input} in "${text}": at most ${MAX_INPUT_TOKENS}`);
  const range = values.range ?? 0;
  const prefix = values.prefix ?? 0;
  const shortest = Math.ceil(values.input * (1 - range));
  if (prefix >= shortest)
    throw new Error(
      `prefix=${prefix} in "${text}": the shared prefix is part of the input and must be shorter than the shortest prompt (${shortest} tokens)`,
    );
  const spec: SyntheticSpec = { input: values.input, range, prefix, n: values.n ?? DEFAULT_SYNTHETIC_COUNT, text: '' };
  if (values.output !== undefined) spec.output = values.output;
  spec.text =
    `${SYNTHETIC_PREFIX}input=${spec.input}` +
    (spec.output !== undefined ? `,output=${spec.output}` : '') +
    (range > 0 ? `,range=${range}` : '') +
    (prefix > 0 ? `,prefix=${prefix}` : '') +
    `,n=${spec.n}`;
  return spec;
}
