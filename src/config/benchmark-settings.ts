/**
 * The benchmark's settings: the zod schema built from the option table (benchmark-options.ts),
 * the checks between options, and resolution (defaults that depend on the mode or the dataset).
 * Keys are the table's keys; an error names the flag the user typed or the file:line and key path.
 */
import os from 'node:os';
import { z } from 'zod';
import { BadInputError, ErrorCode } from '../errors.js';
import { BENCHMARK_OPTIONS, OPTION_KEYS, flagName, optionSpec, type OptionKey } from './benchmark-options.js';
import type { DatasetSpec } from './dataset-spec.js';
import { cleanSourceIps } from './source-ips.js';
import { checkArrivalShape, onlinePattern } from '../schedule/arrival-settings.js';
import { singleValue } from '../sweep/sweep-values.js';

type Table = typeof BENCHMARK_OPTIONS;
type Shape = { [K in keyof Table]: Table[K]['schema'] };

function tableShape(): Shape {
  const shape: Record<string, z.ZodType> = {};
  for (const key of OPTION_KEYS) shape[key] = optionSpec(key).schema;
  return shape as Shape;
}

export const BenchmarkSettingsSchema = z.strictObject(tableShape()).superRefine((s, ctx) => {
  const issue = (path: OptionKey, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (s.mode === 'offline') {
    if (s.loadPattern !== undefined && s.loadPattern !== 'max_throughput')
      issue('loadPattern', 'only for online mode (offline sends every sample at once: max_throughput)');
    if (s.targetQps !== undefined) issue('targetQps', 'only for online mode with load pattern poisson');
    if (s.concurrency !== undefined) issue('concurrency', 'only for online mode with load pattern concurrency');
    if (s.duration !== undefined) issue('duration', 'only for online mode; offline runs --num-samples requests');
    if (s.drainTimeout !== undefined) issue('drainTimeout', 'only for online mode with --duration');
  } else {
    if (s.loadPattern === 'max_throughput')
      issue('loadPattern', 'max_throughput is the offline pattern: use type offline, or poisson / concurrency');
    const pattern = onlinePattern(s);
    const rated = pattern === 'poisson' || pattern === 'constant';
    if (rated && s.targetQps === undefined)
      issue('targetQps', `required for load pattern ${pattern} (requests per second, e.g. --target-qps 10)`);
    if (rated && s.concurrency !== undefined) issue('concurrency', 'only for load pattern concurrency');
    if (pattern === 'concurrency' && s.concurrency === undefined)
      issue('concurrency', 'required for load pattern concurrency (requests in flight, e.g. --concurrency 8)');
    if (pattern === 'concurrency' && s.targetQps !== undefined) issue('targetQps', 'only for load pattern poisson');
    checkArrivalShape(s, pattern, issue);
    if (s.drainTimeout !== undefined && s.duration === undefined && s.numSamples !== undefined)
      issue('drainTimeout', 'only with --duration (a --num-samples run waits for every request)');
  }
  const hasAccuracy = s.dataset.some((d) => d.type === 'accuracy');
  if ((s.testMode === 'acc' || s.testMode === 'both' || s.accuracyOnly) && !hasAccuracy)
    ctx.addIssue({
      code: 'custom',
      path: [s.accuracyOnly ? 'accuracyOnly' : 'testMode'],
      message:
        'needs an accuracy dataset: --dataset acc:PATH,eval_method=pass_at_1,ground_truth=COL (or datasets[] with type: accuracy)',
    });
  if (s.accuracyOnly && s.testMode !== undefined && s.testMode !== 'acc')
    ctx.addIssue({
      code: 'custom',
      path: ['accuracyOnly'],
      message: `is --mode acc, but --mode ${s.testMode} is given too`,
    });
  const perf = s.dataset.filter((d) => d.type === 'performance');
  if (perf.length > 1)
    ctx.addIssue({
      code: 'custom',
      path: ['dataset', s.dataset.indexOf(perf[1])],
      message: `${perf.length} performance datasets given; one run uses one (as MLPerf Endpoints: "Multiple performance datasets not supported"). Run each separately`,
    });
});

export type BenchmarkSettingsInput = z.input<typeof BenchmarkSettingsSchema>;
type ParsedSettings = z.output<typeof BenchmarkSettingsSchema>;

/** Settings with every choice made: what the run uses and what config.yaml records. */
export interface BenchmarkSettings extends Omit<
  ParsedSettings,
  'loadPattern' | 'streaming' | 'workers' | 'numSamples' | 'duration' | 'testMode' | 'concurrency' | 'targetQps'
> {
  /** Which phases run: performance, accuracy, or both (in that order). */
  testMode: 'perf' | 'acc' | 'both';
  /** One value: a list is a sweep, split into runs before resolution (sweep/run-sweep.ts). */
  concurrency?: number;
  targetQps?: number;
  loadPattern: 'offline' | 'poisson' | 'concurrency' | 'constant' | 'trace';
  streaming: boolean;
  workers: number;
  /** Requests to issue (Infinity when an online run is bounded by duration only). */
  numSamples: number;
  /** Milliseconds (Infinity for offline, or online bounded by count only). */
  duration: number;
}

/** Online runs without --duration or --num-samples run this long. */
export const DEFAULT_ONLINE_DURATION_MS = 30_000;

/** Where a setting came from, for error messages: a flag, or file:line and key path. */
export interface SettingSources {
  /** `--target-qps`, or `run.yaml:12: settings.load_pattern.target_qps`. */
  where(key: OptionKey, subPath: readonly PropertyKey[]): string;
}

/** Settings given as flags (or in code): errors name the flag. */
export const FLAG_SOURCES: SettingSources = {
  where(key, subPath) {
    const flag = optionSpec(key).flag;
    const name = flag !== null ? flagName(flag) : (optionSpec(key).yaml ?? key);
    return subPath.length > 0 && typeof subPath[0] === 'number' ? `${name} (#${subPath[0] + 1})` : name;
  },
};

/** A short form of the value that was rejected, for the message. */
function shown(input: unknown): string {
  if (typeof input === 'string') return ` (got "${input.length > 60 ? input.slice(0, 57) + '...' : input}")`;
  if (typeof input === 'number' || typeof input === 'boolean') return ` (got ${input})`;
  return '';
}

/** The settings' problems as one BadInputError (each on its own line). */
export function settingsError(error: z.ZodError, sources: SettingSources): BadInputError {
  const lines = error.issues.map((issue) => {
    const key = issue.path[0];
    const got = issue.code === 'invalid_type' || issue.code === 'invalid_value' ? shown(issue.input) : '';
    if (typeof key !== 'string' || !(OPTION_KEYS as string[]).includes(key)) {
      return `${key === undefined ? 'settings' : String(key)}: ${issue.message}${got}`;
    }
    return `${sources.where(key as OptionKey, issue.path.slice(1))}: ${issue.message}${got}`;
  });
  const more = lines.length > 1 ? `\n${lines.slice(1).join('\n')}` : '';
  // A flag's problem, or a config file's (its message starts with file:line).
  const code = lines[0].startsWith('--') ? ErrorCode.invalidFlag : ErrorCode.invalidConfig;
  return new BadInputError(code, `${lines[0]}${more}`);
}

/** Validate only (no resolution): throws BadInputError naming the flag or file:line. */
export function parseSettings(input: BenchmarkSettingsInput, sources: SettingSources = FLAG_SOURCES): ParsedSettings {
  const parsed = BenchmarkSettingsSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw settingsError(parsed.error, sources);
  return parsed.data;
}

/**
 * Validate and resolve. `datasetSize` is known once the dataset is loaded (offline and
 * `--duration 0` default to one request per sample). Throws BadInputError naming the flag.
 */
export function resolveSettings(
  input: BenchmarkSettingsInput,
  datasetSize: number,
  sources: SettingSources = FLAG_SOURCES,
): BenchmarkSettings {
  const s = parseSettings(input, sources);
  const loadPattern = s.mode === 'offline' ? 'offline' : onlinePattern(s);
  let numSamples: number;
  let duration: number;
  if (s.mode === 'offline' || (loadPattern === 'trace' && s.duration === undefined)) {
    // A trace (datasetSize = its rows) is one pass unless --duration cuts it.
    numSamples =
      loadPattern === 'trace' ? Math.min(s.numSamples ?? datasetSize, datasetSize) : (s.numSamples ?? datasetSize);
    duration = Infinity;
  } else if (s.duration === 0) {
    // MLPerf Endpoints: min_duration_ms 0 = one pass over the dataset.
    numSamples = s.numSamples ?? datasetSize;
    duration = Infinity;
  } else {
    numSamples = s.numSamples ?? Infinity;
    duration = s.duration ?? (s.numSamples === undefined ? DEFAULT_ONLINE_DURATION_MS : Infinity);
  }
  const streaming = s.streaming === 'auto' ? s.mode === 'online' : s.streaming === 'on';
  return {
    ...s,
    sourceIps: cleanSourceIps(s.sourceIps),
    loadPattern,
    streaming,
    concurrency: singleValue(s.concurrency),
    targetQps: singleValue(s.targetQps),
    workers: s.workers === -1 ? defaultWorkers() : s.workers,
    numSamples,
    duration,
    testMode: s.accuracyOnly ? 'acc' : (s.testMode ?? (s.dataset.some((d) => d.type === 'accuracy') ? 'both' : 'perf')),
  };
}

/** The performance dataset of a run (undefined: synthetic prompts). */
export function performanceDataset(s: Pick<BenchmarkSettings, 'dataset'>): DatasetSpec | undefined {
  return s.dataset.find((d) => d.type === 'performance');
}

/** The JSON fields every request body carries: --extra-body's, then options with a `requestField` (seed, temperature, …). */
export function samplingParams(s: BenchmarkSettings): Record<string, unknown> | undefined {
  // --extra-body first: the named options win over its keys.
  const body: Record<string, unknown> = { ...s.extraBody };
  for (const key of OPTION_KEYS) {
    const field = optionSpec(key).requestField;
    const value = (s as unknown as Record<string, unknown>)[key];
    if (field !== undefined && value !== undefined) body[field] = value;
  }
  return Object.keys(body).length > 0 ? body : undefined;
}

/** One shard per core by default. */
export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism());
}
