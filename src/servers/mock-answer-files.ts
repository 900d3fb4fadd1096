/**
 * `llm-loadgen serve --answers SPEC`: answer keys (mock-answers.ts) made from dataset files, so
 * the mock answers an accuracy run right for a set fraction of each file's rows. SPEC is
 * `PATH[,truth=COL][,prompt=COL][,style=abcd|math|plain][,fraction=F][,malformed=F][,seed=N]`;
 * keys it leaves out take --answer-fraction, --answer-seed and --answer-style. The file is read as
 * an accuracy dataset is (any format llm-loadgen reads; the prompt column found the same way), and
 * a request gets the answer of the row whose prompt text it holds (a prompt template around it).
 */
import { DEFAULT_GROUND_TRUTH_COLUMN } from '../accuracy/accuracy-datasets.js';
import { loadDataset } from '../dataset/load-dataset.js';
import { BadInputError, ErrorCode } from '../errors.js';
import { ANSWER_STYLES, MockAnswerKey, type AnswerStyle } from './mock-answers.js';

export interface AnswerFileSpec {
  path: string;
  truthColumn: string;
  promptColumn?: string;
  /** undefined: guessed from the ground truths (answerStyleOf). */
  style?: AnswerStyle;
  fraction: number;
  malformed?: number;
  seed: number;
}

export interface AnswerDefaults {
  fraction: number;
  seed: number;
  style?: AnswerStyle;
}

const KEYS = ['truth', 'prompt', 'style', 'fraction', 'malformed', 'seed'];

function bad(spec: string, why: string): BadInputError {
  return new BadInputError(ErrorCode.invalidFlag, `--answers ${spec}: ${why}`);
}

/** A fraction in [0, 1], strictly written (Number('') is 0). */
export function parseFraction(value: string, what: string): number {
  const n = Number(value);
  if (!/^(0|1|0?\.\d+|1\.0*)$/.test(value) || !(n >= 0 && n <= 1))
    throw new BadInputError(ErrorCode.invalidFlag, `${what} must be a fraction from 0 to 1, got "${value}"`);
  return n;
}

export function parseAnswerStyle(value: string, what: string): AnswerStyle {
  const style = ANSWER_STYLES.find((s) => s === value);
  if (style === undefined)
    throw new BadInputError(
      ErrorCode.invalidFlag,
      `${what} must be one of ${ANSWER_STYLES.join(', ')}, got "${value}"`,
    );
  return style;
}

export function parseAnswerFileSpec(spec: string, defaults: AnswerDefaults): AnswerFileSpec {
  const [path, ...pairs] = spec.split(',');
  if (path === '') throw bad(spec, 'give the dataset file first');
  const out: AnswerFileSpec = {
    path,
    truthColumn: DEFAULT_GROUND_TRUTH_COLUMN,
    style: defaults.style,
    fraction: defaults.fraction,
    seed: defaults.seed,
  };
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    if (!KEYS.includes(key)) throw bad(spec, `unknown key "${key}" (keys: ${KEYS.join(', ')})`);
    if (value === '') throw bad(spec, `${key}= needs a value`);
    if (key === 'truth') out.truthColumn = value;
    else if (key === 'prompt') out.promptColumn = value;
    else if (key === 'style') out.style = parseAnswerStyle(value, `--answers ${spec}: style`);
    else if (key === 'fraction') out.fraction = parseFraction(value, `--answers ${spec}: fraction`);
    else if (key === 'malformed') out.malformed = parseFraction(value, `--answers ${spec}: malformed`);
    else {
      if (!/^\d+$/.test(value)) throw bad(spec, `seed must be a non-negative integer, got "${value}"`);
      out.seed = Number(value);
    }
  }
  return out;
}

/** abcd when every truth is a letter A–D or GPQA's choice1–4, math when every one is a number, else plain. */
export function answerStyleOf(truths: readonly string[]): AnswerStyle {
  if (truths.length > 0 && truths.every((t) => /^\(?([A-D]|choice[1-4])\)?$/i.test(t.trim()))) return 'abcd';
  if (truths.length > 0 && truths.every((t) => /^-?\d+(\.\d+)?$/.test(t.trim()))) return 'math';
  return 'plain';
}

export interface LoadedAnswerKey {
  key: MockAnswerKey;
  spec: AnswerFileSpec;
  style: AnswerStyle;
  rows: number;
  /** Rows answered right: round(fraction × rows). */
  right: number;
}

export async function loadAnswerKey(spec: AnswerFileSpec): Promise<LoadedAnswerKey> {
  const loaded = await loadDataset(spec.path, {
    syntheticCount: 0,
    seed: 0,
    columns: { prompt: spec.promptColumn, groundTruth: spec.truthColumn },
    shuffle: false,
  });
  if (loaded.samples.length === 0)
    throw new BadInputError(ErrorCode.datasetEmpty, `--answers ${spec.path} has no rows`);
  const rows = loaded.samples.map((s) => ({ prompt: s.prompt, truth: s.groundTruth ?? '' }));
  const style = spec.style ?? answerStyleOf(rows.map((r) => r.truth));
  const key = new MockAnswerKey({
    rows,
    rightFraction: spec.fraction,
    malformedFraction: spec.malformed,
    seed: spec.seed,
    style,
  });
  return { key, spec, style, rows: rows.length, right: Math.round(spec.fraction * rows.length) };
}
