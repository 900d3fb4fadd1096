/**
 * The benchmark's settings: one zod schema that validates CLI flags (and, later, YAML keys)
 * and fills in defaults. Keys are the camelCase form of the flag names (`--target-qps` →
 * `targetQps`), so an error can always name the flag the user typed.
 */
import os from 'node:os';
import { z } from 'zod';
import { redactHeaderFlag } from '../api/extra-headers.js';
import { BadInputError, ErrorCode } from '../errors.js';
import { formatDurationMs, parseDurationMs } from './duration.js';
import { cleanSourceIps } from './source-ips.js';
import { DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_RESPONSE_BYTES } from '../api/response-limits.js';

const positiveInt = z.number().int().positive();

/** Node timers hold at most 2^31 − 1 ms (~24.8 days); longer ones would fire at once. */
const MAX_DURATION_MS = 2 ** 31 - 1;

const durationMs = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v * 1000 : parseDurationMs(v);
  if (ms === null || !(ms > 0)) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration; use e.g. 30s, 2m, 500ms` });
    return z.NEVER;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is too long: at most 24 days (${MAX_DURATION_MS} ms)` });
    return z.NEVER;
  }
  return ms;
});

/** A duration, or 0 (= never). */
const durationOrZeroMs = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (v === 0 || v === '0') return 0;
  const parsed = durationMs.safeParse(v);
  if (parsed.success) return parsed.data;
  ctx.addIssue({ code: 'custom', message: `${parsed.error.issues[0].message}, or 0 for never` });
  return z.NEVER;
});

export const BenchmarkSettingsSchema = z
  .object({
    mode: z.enum(['offline', 'online']),
    endpoints: z.array(z.string().min(1)).min(1, 'give at least one base URL, e.g. http://127.0.0.1:8000'),
    model: z.string().min(1, 'name the model the server serves (see GET /v1/models)'),
    apiType: z.enum(['chat', 'completions']).default('chat'),
    apiKey: z.string().optional(),
    dataset: z.string().min(1).optional(),
    numSamples: positiveInt.optional(),
    /** Milliseconds (online). */
    duration: durationMs.optional(),
    loadPattern: z.enum(['poisson', 'concurrency']).optional(),
    targetQps: z.number().positive().optional(),
    concurrency: positiveInt.optional(),
    streaming: z.enum(['on', 'off', 'auto']).default('auto'),
    maxOutputTokens: positiveInt.optional(),
    workers: positiveInt.optional(),
    /** -1 = auto (the port budget). */
    maxConnections: z
      .number()
      .int()
      .min(-1)
      .refine((v) => v !== 0, 'must be -1 (auto) or a positive number')
      .default(-1),
    maxConcurrentConnects: positiveInt.default(128),
    /** Connections opened before the clock starts: -1 = auto (what the load will need), 0 = none. */
    warmupConnections: z.number().int().min(-1).default(-1),
    /** Milliseconds. */
    maxIdleTime: durationMs.default(4000),
    /** Milliseconds; 0 disables. */
    requestTimeout: z.union([z.literal(0), durationMs]).default(600_000),
    connectTimeout: durationMs.default(30_000),
    /** Milliseconds; online --duration runs only. Default: see drainTimeoutMs (run/shard-split.ts). */
    drainTimeout: durationMs.optional(),
    /** Milliseconds; 0 = never stop the run for a down endpoint. */
    endpointDownTimeout: durationOrZeroMs.default(10_000),
    /** Local addresses new connections bind to, round-robin (cleaned by config/source-ips.ts). */
    sourceIps: z.array(z.string()).default([]),
    dryRun: z.boolean().default(false),
    reportDir: z.string().min(1).optional(),
    seed: z
      .number()
      .int()
      .refine(Number.isSafeInteger, 'must be an integer between -(2^53 - 1) and 2^53 - 1')
      .default(42),
    insecure: z.boolean().default(false),
    /** PEM file of a CA to trust for https endpoints, besides the system roots. */
    caFile: z.string().min(1).optional(),
    /** Caps per SSE event and per non-streaming body (defaults: api/response-limits.ts). */
    maxEventBytes: positiveInt.default(DEFAULT_MAX_EVENT_BYTES),
    maxResponseBytes: positiveInt.default(DEFAULT_MAX_RESPONSE_BYTES),
    /** `--header 'Name: value'`, repeatable (parsed by api/extra-headers.ts). */
    headers: z.array(z.string()).default([]),
    overwrite: z.boolean().default(false),
  })
  .superRefine((s, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (s.mode === 'offline') {
      if (s.loadPattern !== undefined)
        issue('loadPattern', 'only for online mode (offline sends every sample at once)');
      if (s.targetQps !== undefined) issue('targetQps', 'only for online mode with --load-pattern poisson');
      if (s.concurrency !== undefined) issue('concurrency', 'only for online mode with --load-pattern concurrency');
      if (s.duration !== undefined) issue('duration', 'only for online mode; offline runs --num-samples requests');
      if (s.drainTimeout !== undefined) issue('drainTimeout', 'only for online mode with --duration');
    } else {
      const pattern = s.loadPattern ?? (s.concurrency !== undefined ? 'concurrency' : 'poisson');
      if (pattern === 'poisson' && s.targetQps === undefined)
        issue('targetQps', 'required for --load-pattern poisson (requests per second, e.g. --target-qps 10)');
      if (pattern === 'poisson' && s.concurrency !== undefined)
        issue('concurrency', 'only for --load-pattern concurrency');
      if (pattern === 'concurrency' && s.concurrency === undefined)
        issue('concurrency', 'required for --load-pattern concurrency (requests in flight, e.g. --concurrency 8)');
      if (pattern === 'concurrency' && s.targetQps !== undefined) issue('targetQps', 'only for --load-pattern poisson');
      if (s.drainTimeout !== undefined && s.duration === undefined && s.numSamples !== undefined)
        issue('drainTimeout', 'only with --duration (a --num-samples run waits for every request)');
    }
  });

export type BenchmarkSettingsInput = z.input<typeof BenchmarkSettingsSchema>;
type ParsedSettings = z.output<typeof BenchmarkSettingsSchema>;

/** Settings with every choice made: what the run uses and what config.yaml records. */
export interface BenchmarkSettings extends Omit<
  ParsedSettings,
  'loadPattern' | 'streaming' | 'workers' | 'numSamples' | 'duration'
> {
  loadPattern: 'offline' | 'poisson' | 'concurrency';
  streaming: boolean;
  workers: number;
  /** Requests to issue (Infinity when an online run is bounded by duration only). */
  numSamples: number;
  /** Milliseconds (Infinity for offline, or online bounded by count only). */
  duration: number;
}

/** Online runs without --duration or --num-samples run this long. */
export const DEFAULT_ONLINE_DURATION_MS = 30_000;

/** camelCase key → the flag a user types. */
export function flagName(key: string): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/**
 * Validate and resolve. `datasetSize` is known once the dataset is loaded (offline defaults
 * to one request per sample). Throws BadInputError naming the flag.
 */
export function resolveSettings(input: BenchmarkSettingsInput, datasetSize: number): BenchmarkSettings {
  const parsed = BenchmarkSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const key = first.path.length > 0 ? String(first.path[0]) : '';
    const others = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : '';
    throw new BadInputError(
      ErrorCode.invalidFlag,
      `${key === '' ? 'settings' : flagName(key)}: ${first.message}${others}`,
    );
  }
  const s = parsed.data;
  const loadPattern =
    s.mode === 'offline' ? 'offline' : (s.loadPattern ?? (s.concurrency !== undefined ? 'concurrency' : 'poisson'));
  let numSamples: number;
  let duration: number;
  if (s.mode === 'offline') {
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
    workers: s.workers ?? defaultWorkers(),
    numSamples,
    duration,
  };
}

/** One shard per core by default. */
export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism());
}

/** The resolved settings as config.yaml records them: snake_case keys, secrets redacted. */
export function settingsForDisplay(s: BenchmarkSettings, endpointsShown: string[]): Record<string, unknown> {
  return {
    mode: s.mode,
    endpoints: endpointsShown,
    model: s.model,
    api_type: s.apiType,
    api_key: s.apiKey === undefined || s.apiKey === '' ? null : '***redacted***',
    dataset: s.dataset ?? 'synthetic',
    num_samples: Number.isFinite(s.numSamples) ? s.numSamples : null,
    duration: Number.isFinite(s.duration) ? formatDurationMs(s.duration) : null,
    load_pattern: s.loadPattern,
    target_qps: s.targetQps ?? null,
    concurrency: s.concurrency ?? null,
    streaming: s.streaming,
    max_output_tokens: s.maxOutputTokens ?? null,
    workers: s.workers,
    max_connections: s.maxConnections,
    max_concurrent_connects: s.maxConcurrentConnects,
    warmup_connections: s.warmupConnections,
    max_idle_time: formatDurationMs(s.maxIdleTime),
    request_timeout: s.requestTimeout === 0 ? 0 : formatDurationMs(s.requestTimeout),
    connect_timeout: formatDurationMs(s.connectTimeout),
    drain_timeout: s.drainTimeout === undefined ? null : formatDurationMs(s.drainTimeout),
    endpoint_down_timeout: s.endpointDownTimeout === 0 ? 0 : formatDurationMs(s.endpointDownTimeout),
    source_ips: s.sourceIps,
    seed: s.seed,
    insecure: s.insecure,
    ca_file: s.caFile ?? null,
    max_event_bytes: s.maxEventBytes,
    max_response_bytes: s.maxResponseBytes,
    headers: s.headers.map((h) => redactHeaderFlag(h)),
    overwrite: s.overwrite,
  };
}
