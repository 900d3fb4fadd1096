/**
 * Every benchmark option, declared once: its key in MLPerf Endpoints' YAML tree, its flag and
 * aliases, its type, default, unit, one line of help and its zod schema. Commander's flags
 * (cli/benchmark-options-cli.ts), the settings schema (benchmark-settings.ts), `--help`, the
 * README's flag table, `init` templates and config.yaml are all derived from this table.
 *
 * Adding an option is one entry here plus its use. Names follow MLPerf Endpoints where it has
 * the option (inference_endpoint/config/schema.py); its dotted flags (`--client.max-connections`)
 * are aliases. Keys only llm-loadgen has sit in the same tree.
 */
import { z } from 'zod';
import { DatasetEntrySchema, parseDatasetString, datasetEntryForYaml, type DatasetSpec } from './dataset-spec.js';
import { formatDurationMs, parseDurationMs, type BareUnit } from './duration.js';
import { isSecretHeader } from '../api/extra-headers.js';
import { DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_RESPONSE_BYTES } from '../api/response-limits.js';
import { sweepValues } from '../sweep/sweep-values.js';
import { MAIN_SCHED_POLICIES } from '../run/main-priority.js';
import { SHARD_HELPER_POLICIES } from '../shard/helper-priority.js';
import { SEND_TIMERS } from '../schedule/send-timer.js';
import { sloListSchema, type Slo } from '../metrics/slo-option.js';

export type BenchmarkMode = 'offline' | 'online';

/** How a flag's text becomes a value (before the schema checks it). */
export type FlagKind = 'string' | 'int' | 'number' | 'boolean' | 'list' | 'choice' | 'repeat';

export interface OptionSpec<S extends z.ZodType = z.ZodType> {
  /** Dotted path in MLPerf Endpoints' YAML tree; null when the option is command-line only. */
  yaml: string | null;
  /** The flag with its value placeholder (`--max-connections <n>`); null when YAML only. */
  flag: string | null;
  /** Other names for the flag: MLPerf Endpoints' shorthands and dotted forms. */
  aliases?: readonly string[];
  kind: FlagKind;
  /** Accepted values of a `choice` flag. */
  choices?: readonly string[];
  /** One line of help. */
  help: string;
  unit?: string;
  /** The default in words, where the schema's default is computed at run time or absent. */
  defaultText?: string;
  /** The benchmark commands that take it (default: both). */
  modes?: readonly BenchmarkMode[];
  /** Never written to logs or reports. */
  secret?: boolean;
  /** Validates the value from the flag or the file, and fills in the default. */
  schema: S;
  /**
   * The resolved value as YAML writes it (config.yaml, `validate`); default: as is. `undefined`
   * leaves the key out.
   */
  toYaml?: (value: never) => unknown;
  /** A value for `init` templates when the default alone would not run (the endpoint, the model). */
  example?: unknown;
  /** Sent as this JSON field in every request body when set (the model's sampling parameters). */
  requestField?: string;
  /** The flag also takes a comma-separated list: a sweep, one step per value (sweep/sweep-values.ts). */
  sweep?: boolean;
}

const positiveInt = z.number().int().positive();
const seed = z.number().int().refine(Number.isSafeInteger, 'must be an integer between -(2^53 - 1) and 2^53 - 1');

/** Node timers hold at most 2^31 − 1 ms (~24.8 days); longer ones would fire at once. */
const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * A duration: `500ms`, `30s`, `5m`, `1h`, or a bare number in `bareUnit`. Milliseconds out. `zero`
 * says what 0 means where it is allowed (null: it is not).
 */
function duration(bareUnit: BareUnit, zero: string | null) {
  return z.union([z.number(), z.string()]).transform((v, ctx) => {
    const ms = typeof v === 'number' ? (bareUnit === 's' ? v * 1000 : v) : parseDurationMs(v, bareUnit);
    if (ms === null || !(ms > 0 || (zero !== null && ms === 0))) {
      const bare = bareUnit === 'ms' ? 'milliseconds' : 'seconds';
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is not a duration${zero === null ? ' above 0' : ''}; use e.g. 30s, 2m, 500ms (a bare number is ${bare})${zero === null ? '' : `, or 0 for ${zero}`}`,
      });
      return z.NEVER;
    }
    if (ms > MAX_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is too long: at most 24 days (${MAX_DURATION_MS} ms)` });
      return z.NEVER;
    }
    return ms;
  });
}

/** `--api-type`: MLPerf Endpoints' names, and the older chat/completions as aliases. */
const API_TYPES = {
  openai: 'chat',
  openai_completions: 'completions',
  chat: 'chat',
  completions: 'completions',
} as const;

/** Datasets: `--dataset` strings (repeatable) or datasets[] entries; one performance dataset. */
const datasets = z
  .union([z.string(), z.array(z.union([z.string(), DatasetEntrySchema]))])
  .transform((v, ctx): DatasetSpec[] => {
    const out: DatasetSpec[] = [];
    for (const [i, item] of (typeof v === 'string' ? [v] : v).entries()) {
      if (typeof item !== 'string') {
        out.push(item);
        continue;
      }
      try {
        out.push(parseDatasetString(item));
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: [i], message: (err as Error).message });
        return z.NEVER;
      }
    }
    return out;
  })
  .default([]);

/** `${NAME}` for a secret's name: what config.yaml writes in its place (from-config reads it back). */
function envReference(name: string): string {
  return `\${${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}}`;
}

/** A secret header's value as an environment variable (`X-Api-Key: ${X_API_KEY}`), so config.yaml still runs. */
export function headerForYaml(raw: string): string {
  const colon = raw.indexOf(':');
  const name = colon < 0 ? raw.trim() : raw.slice(0, colon).trim();
  if (!isSecretHeader(name)) return raw;
  return `${name}: ${envReference(name)}`;
}

/**
 * `--extra-body` as config.yaml writes it: a string under a secret-looking key (isSecretHeader's
 * rule) becomes `${KEY_PATH}`, so the file still runs with the value in the environment.
 */
export function extraBodyForYaml(body: unknown, path: readonly string[] = [], underSecret = false): unknown {
  if (typeof body === 'string') return underSecret ? envReference(path.join('_')) : body;
  if (body === null || typeof body !== 'object') return body;
  if (Array.isArray(body)) return body.map((v, i) => extraBodyForYaml(v, [...path, String(i)], underSecret));
  return Object.fromEntries(
    Object.entries(body).map(([k, v]) => [k, extraBodyForYaml(v, [...path, k], underSecret || isSecretHeader(k))]),
  );
}

/** Body fields --extra-body may not set: the request's identity, framing and the per-row output cap. */
export const EXTRA_BODY_RESERVED = ['model', 'messages', 'prompt', 'stream', 'stream_options', 'max_tokens'] as const;

/** `--extra-body`: a JSON object (from the flag) or a YAML mapping; a message for the user when it is neither. */
function parseExtraBody(v: string | Record<string, unknown>): Record<string, unknown> | string {
  let body: unknown = v;
  if (typeof v === 'string') {
    try {
      body = JSON.parse(v) as unknown;
    } catch (err) {
      return `not valid JSON (${(err as Error).message}); give an object, e.g. '{"ignore_eos": true}'`;
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return `must be a JSON object of body fields, e.g. '{"ignore_eos": true}'`;
  const reserved = EXTRA_BODY_RESERVED.filter((k) => Object.hasOwn(body, k));
  if (reserved.length > 0)
    return (
      `cannot set ${reserved.map((k) => `"${k}"`).join(', ')}: llm-loadgen writes ${reserved.length === 1 ? 'it' : 'them'} ` +
      '(model: --model; messages/prompt: the dataset; stream, stream_options: --streaming; max_tokens: --max-output-tokens or a dataset column)'
    );
  return body as Record<string, unknown>;
}

const option = <S extends z.ZodType>(spec: OptionSpec<S>): OptionSpec<S> => spec;

export const BENCHMARK_OPTIONS = {
  mode: option({
    yaml: 'type',
    flag: null,
    kind: 'choice',
    choices: ['offline', 'online'],
    help: 'offline: every sample at once; online: a target rate or a fixed concurrency',
    schema: z.enum(['offline', 'online'], {
      error: (iss) => (iss.input === undefined ? 'required: offline or online' : undefined),
    }),
  }),
  name: option({
    yaml: 'name',
    flag: null,
    kind: 'string',
    help: 'benchmark name, kept in config.yaml',
    defaultText: '<type>_benchmark',
    schema: z.string().optional(),
  }),
  endpoints: option({
    yaml: 'endpoint_config.endpoints',
    flag: '--endpoints <urls>',
    aliases: ['--endpoint-config.endpoints'],
    kind: 'list',
    help: 'base URLs, comma-separated or repeated; the API path (`/v1/chat/completions` or `/v1/completions`) is appended; requests go round-robin',
    defaultText: 'required',
    example: ['${ENDPOINT_URL:-http://127.0.0.1:8000}'],
    schema: z
      .array(z.string().min(1), {
        error: (iss) => (iss.input === undefined ? 'required: a base URL, e.g. http://127.0.0.1:8000' : undefined),
      })
      .min(1, 'give at least one base URL, e.g. http://127.0.0.1:8000'),
  }),
  apiType: option({
    yaml: 'endpoint_config.api_type',
    flag: '--api-type <type>',
    aliases: ['--endpoint-config.api-type'],
    kind: 'choice',
    choices: ['openai', 'openai_completions', 'chat', 'completions'],
    help: 'openai = /v1/chat/completions, openai_completions = /v1/completions (chat and completions are aliases)',
    schema: z
      .enum(['openai', 'openai_completions', 'chat', 'completions'])
      .default('openai')
      .transform((t) => API_TYPES[t]),
    toYaml: (t: 'chat' | 'completions') => (t === 'chat' ? 'openai' : 'openai_completions'),
  }),
  apiKey: option({
    yaml: 'endpoint_config.api_key',
    flag: '--api-key <key>',
    aliases: ['--endpoint-config.api-key'],
    kind: 'string',
    help: 'sent as `Authorization: Bearer`; OPENAI_API_KEY is read when absent; never written to any report, log or record',
    secret: true,
    schema: z.string().optional(),
  }),
  model: option({
    yaml: 'model_params.name',
    flag: '--model <name>',
    aliases: ['--model-params.name'],
    kind: 'string',
    help: 'model name sent in every request',
    defaultText: 'required',
    example: '${MODEL_NAME}',
    schema: z
      .string({
        error: (iss) =>
          iss.input === undefined ? 'required: the model the server serves (see GET /v1/models)' : undefined,
      })
      .min(1, 'name the model the server serves (see GET /v1/models)'),
  }),
  streaming: option({
    yaml: 'model_params.streaming',
    flag: '--streaming <mode>',
    aliases: ['--model-params.streaming'],
    kind: 'choice',
    choices: ['on', 'off', 'auto'],
    help: 'SSE streaming; auto = on for online, off for offline',
    schema: z.enum(['on', 'off', 'auto']).default('auto'),
    toYaml: (on: boolean | string) => (typeof on === 'string' ? on : on ? 'on' : 'off'),
  }),
  maxOutputTokens: option({
    yaml: 'model_params.max_new_tokens',
    flag: '--max-output-tokens <n>',
    aliases: ['--model-params.max-new-tokens'],
    kind: 'int',
    help: '`max_tokens` sent with each request (a dataset column overrides it per row)',
    unit: 'tokens',
    schema: positiveInt.default(1024),
  }),
  seed: option({
    yaml: 'model_params.seed',
    flag: '--seed <n>',
    aliases: ['--model-params.seed'],
    kind: 'int',
    help: "the model's sampling seed, sent as `seed` in every request",
    defaultText: 'not sent',
    requestField: 'seed',
    schema: seed.optional(),
  }),
  temperature: option({
    yaml: 'model_params.temperature',
    flag: '--temperature <t>',
    aliases: ['--model-params.temperature'],
    kind: 'number',
    help: 'sampling temperature, sent as `temperature`',
    defaultText: 'not sent',
    requestField: 'temperature',
    schema: z.number().min(0).optional(),
  }),
  topP: option({
    yaml: 'model_params.top_p',
    flag: '--top-p <p>',
    aliases: ['--model-params.top-p'],
    kind: 'number',
    help: 'nucleus sampling, sent as `top_p`',
    defaultText: 'not sent',
    requestField: 'top_p',
    schema: z.number().gt(0).max(1).optional(),
  }),
  topK: option({
    yaml: 'model_params.top_k',
    flag: '--top-k <k>',
    aliases: ['--model-params.top-k'],
    kind: 'int',
    help: 'top-k sampling, sent as `top_k`',
    defaultText: 'not sent',
    requestField: 'top_k',
    schema: z.number().int().optional(),
  }),
  frequencyPenalty: option({
    yaml: 'model_params.frequency_penalty',
    flag: '--frequency-penalty <x>',
    aliases: ['--model-params.frequency-penalty'],
    kind: 'number',
    help: 'frequency penalty, sent as `frequency_penalty`',
    defaultText: 'not sent',
    requestField: 'frequency_penalty',
    schema: z.number().min(-2).max(2).optional(),
  }),
  presencePenalty: option({
    yaml: 'model_params.presence_penalty',
    flag: '--presence-penalty <x>',
    aliases: ['--model-params.presence-penalty'],
    kind: 'number',
    help: 'presence penalty, sent as `presence_penalty`',
    defaultText: 'not sent',
    requestField: 'presence_penalty',
    schema: z.number().min(-2).max(2).optional(),
  }),
  repetitionPenalty: option({
    yaml: 'model_params.repetition_penalty',
    flag: '--repetition-penalty <x>',
    aliases: ['--model-params.repetition-penalty'],
    kind: 'number',
    help: 'repetition penalty (vLLM, SGLang), sent as `repetition_penalty`',
    defaultText: 'not sent',
    requestField: 'repetition_penalty',
    schema: z.number().positive().optional(),
  }),
  chatTemplateKwargs: option({
    yaml: 'model_params.chat_template_kwargs',
    flag: null,
    kind: 'string',
    help: 'chat-template arguments for servers that take them (e.g. {enable_thinking: false}), sent as `chat_template_kwargs`',
    defaultText: 'not sent',
    requestField: 'chat_template_kwargs',
    schema: z.record(z.string(), z.unknown()).optional(),
  }),
  dataset: option({
    yaml: 'datasets',
    flag: '--dataset <spec>',
    kind: 'repeat',
    help: '`[perf:|acc:]PATH[,samples=N,parser.prompt=COL,parser.system=COL,format=jsonl|json|csv|parquet|huggingface,eval_method=M,ground_truth=COL,extractor=E,num_repeats=N]`, repeatable (one performance dataset per run, any number of `acc:` ones: docs/accuracy.md); .jsonl/.ndjson, .json, .csv, .parquet or a Hugging Face save_to_disk directory; the prompt is `messages`, ShareGPT `conversations`, or the first of prompt, user_prompt, question, input, input_text, problem, query, text_input unless parser.prompt names the column (docs/datasets.md)',
    defaultText: '1,000 synthetic prompts',
    schema: datasets,
    toYaml: (specs: DatasetSpec[]) => specs.map(datasetEntryForYaml),
  }),
  numSamples: option({
    yaml: 'settings.runtime.n_samples_to_issue',
    flag: '--num-samples <n>',
    aliases: ['--runtime.n-samples-to-issue'],
    kind: 'int',
    help: 'requests to send',
    defaultText: 'offline: one per row; online: no limit',
    schema: positiveInt.optional(),
    toYaml: (n: number) => (Number.isFinite(n) ? n : null),
  }),
  duration: option({
    yaml: 'settings.runtime.min_duration_ms',
    flag: '--duration <duration>',
    aliases: ['--runtime.min-duration-ms'],
    kind: 'string',
    help: 'online: how long to send; a bare number is milliseconds (`500ms`, `30s`, `5m`, `1h` also work); 0 = one pass over the dataset',
    unit: 'ms',
    defaultText: '30s unless --num-samples is given',
    modes: ['online'],
    schema: duration('ms', 'one pass over the dataset').optional(),
    toYaml: (ms: number) => (Number.isFinite(ms) ? ms : 0),
  }),
  schedulerRandomSeed: option({
    yaml: 'settings.runtime.scheduler_random_seed',
    flag: '--scheduler-random-seed <n>',
    aliases: ['--runtime.scheduler-random-seed'],
    kind: 'int',
    help: 'seeds Poisson arrival times (each shard derives its own stream)',
    schema: seed.default(42),
  }),
  dataloaderRandomSeed: option({
    yaml: 'settings.runtime.dataloader_random_seed',
    flag: '--dataloader-random-seed <n>',
    aliases: ['--runtime.dataloader-random-seed'],
    kind: 'int',
    help: 'seeds the order samples are sent in (a shuffle of the rows) and the synthetic prompts',
    schema: seed.default(42),
  }),
  loadPattern: option({
    yaml: 'settings.load_pattern.type',
    flag: '--load-pattern <pattern>',
    aliases: ['--load-pattern.type'],
    kind: 'choice',
    choices: ['poisson', 'concurrency', 'constant', 'trace'],
    help: 'online arrival pattern: poisson (--burstiness shapes it), constant (fixed gaps at --target-qps), concurrency, trace (--trace); offline is max_throughput (docs/load-patterns.md)',
    defaultText: 'poisson; concurrency when --concurrency is given; trace when --trace is',
    modes: ['online'],
    schema: z.enum(['max_throughput', 'poisson', 'concurrency', 'constant', 'trace']).optional(),
    toYaml: (p: string) => (p === 'offline' ? 'max_throughput' : p),
  }),
  targetQps: option({
    yaml: 'settings.load_pattern.target_qps',
    flag: '--target-qps <qps>',
    aliases: ['--load-pattern.target-qps'],
    kind: 'number',
    sweep: true,
    help: 'Poisson rate (exponential gaps on an absolute schedule: no drift); a list (5,10,20) runs one sweep step per value (docs/sweeps.md)',
    unit: 'requests/s',
    modes: ['online'],
    schema: sweepValues(false).optional(),
  }),
  concurrency: option({
    yaml: 'settings.load_pattern.target_concurrency',
    flag: '--concurrency <n>',
    aliases: ['--target-concurrency', '--load-pattern.target-concurrency'],
    kind: 'int',
    sweep: true,
    help: 'requests kept in flight (each one that ends is replaced at once); a list (1,4,16,64) runs one sweep step per value (docs/sweeps.md)',
    modes: ['online'],
    schema: sweepValues(true).optional(),
  }),
  headers: option({
    yaml: 'endpoint_config.headers',
    flag: '--header <header>',
    kind: 'repeat',
    help: "extra header sent with every request, 'Name: value', repeatable. Values of headers whose name contains authorization, cookie, key, token, secret, password, auth, session or credential are redacted like the API key (config.yaml writes them as ${VARIABLE}); an Authorization given here replaces the key's",
    defaultText: '—',
    schema: z.array(z.string()).default([]),
    toYaml: (headers: string[]) => headers.map(headerForYaml),
  }),
  workers: option({
    yaml: 'settings.client.num_workers',
    flag: '--workers <n>',
    aliases: ['--num-workers', '--client.num-workers'],
    kind: 'int',
    help: 'shard processes, each with its own event loop, connections and records; -1 = one per core',
    schema: z
      .number()
      .int()
      .min(-1)
      .refine((v) => v !== 0, 'must be -1 (one per core) or a positive number')
      .default(-1),
  }),
  maxConnections: option({
    yaml: 'settings.client.max_connections',
    flag: '--max-connections <n>',
    aliases: ['--client.max-connections'],
    kind: 'int',
    help: "total connections; -1 = the host's port budget",
    schema: z
      .number()
      .int()
      .min(-1)
      .refine((v) => v !== 0, 'must be -1 (auto) or a positive number')
      .default(-1),
  }),
  maxConcurrentConnects: option({
    yaml: 'settings.client.max_concurrent_warmup_connects',
    flag: '--max-concurrent-connects <n>',
    aliases: ['--max-concurrent-warmup-connects', '--client.max-concurrent-warmup-connects'],
    kind: 'int',
    help: "connects in flight per pool, so bursts do not flood the server's accept queue",
    schema: positiveInt.default(128),
  }),
  warmupConnections: option({
    yaml: 'settings.client.warmup_connections',
    flag: '--warmup-connections <n>',
    aliases: ['--client.warmup-connections'],
    kind: 'int',
    help: 'connections opened before the clock starts; -1 = what the load needs, 0 = none',
    schema: z.number().int().min(-1).default(-1),
  }),
  maxIdleTime: option({
    yaml: 'settings.client.max_idle_time',
    flag: '--max-idle-time <duration>',
    aliases: ['--client.max-idle-time'],
    kind: 'string',
    help: 'idle connections are closed after this long; a bare number is seconds',
    unit: 's',
    schema: duration('s', null).default(4000),
    toYaml: (ms: number) => ms / 1000,
  }),
  requestTimeout: option({
    yaml: 'settings.client.request_timeout',
    flag: '--request-timeout <duration>',
    aliases: ['--client.request-timeout'],
    kind: 'string',
    help: 'a request with no complete response after this long fails with `timeout`; 0 = never; a bare number is seconds',
    unit: 's',
    schema: duration('s', 'never').default(600_000),
    toYaml: (ms: number) => (ms === 0 ? 0 : formatDurationMs(ms)),
  }),
  connectTimeout: option({
    yaml: 'settings.client.connect_timeout',
    flag: '--connect-timeout <duration>',
    aliases: ['--client.connect-timeout'],
    kind: 'string',
    help: 'a connect that takes longer fails; a bare number is seconds',
    unit: 's',
    schema: duration('s', null).default(30_000),
    toYaml: (ms: number) => formatDurationMs(ms),
  }),
  endpointDownTimeout: option({
    yaml: 'settings.client.endpoint_down_timeout',
    flag: '--endpoint-down-timeout <duration>',
    aliases: ['--client.endpoint-down-timeout'],
    kind: 'string',
    help: 'stop the run, exit 4, when every connect to an endpoint has failed, with no connection to it open, for this long (0 = never); the message names the endpoint and since when; a bare number is seconds',
    unit: 's',
    schema: duration('s', 'never').default(10_000),
    toYaml: (ms: number) => (ms === 0 ? 0 : formatDurationMs(ms)),
  }),
  drainTimeout: option({
    yaml: 'settings.client.drain_timeout',
    flag: '--drain-timeout <duration>',
    aliases: ['--client.drain-timeout'],
    kind: 'string',
    help: 'online --duration runs: after sending stops, wait at most this long for requests in flight; the rest end as `cancelled_at_end` (counted, never dropped); a bare number is seconds',
    unit: 's',
    defaultText: 'the larger of 30s and a tenth of --duration, at most --request-timeout',
    modes: ['online'],
    schema: duration('s', null).optional(),
    toYaml: (ms: number) => formatDurationMs(ms),
  }),
  maxEventBytes: option({
    yaml: 'settings.client.max_event_bytes',
    flag: '--max-event-bytes <n>',
    aliases: ['--client.max-event-bytes'],
    kind: 'int',
    help: 'one SSE line or event larger than this fails its request with `event_too_large` (a real event is < 4 KB)',
    unit: 'bytes',
    defaultText: '4 MiB',
    schema: positiveInt.default(DEFAULT_MAX_EVENT_BYTES),
  }),
  maxResponseBytes: option({
    yaml: 'settings.client.max_response_bytes',
    flag: '--max-response-bytes <n>',
    aliases: ['--client.max-response-bytes'],
    kind: 'int',
    help: 'a non-streaming body larger than this (compressed or decoded) fails with `response_too_large` (a non-2xx body past it is cut: `http_status` with its excerpt); each shard holds at most 8 × this of partial answers',
    unit: 'bytes',
    defaultText: '32 MiB',
    schema: positiveInt.default(DEFAULT_MAX_RESPONSE_BYTES),
  }),
  sourceIps: option({
    yaml: 'settings.client.source_ips',
    flag: '--source-ips <ips>',
    aliases: ['--client.source-ips'],
    kind: 'list',
    help: 'local addresses new connections bind to, round-robin (docs/connection-budget.md); trimmed, blanks and duplicates dropped, each must be an address of this host',
    defaultText: 'OS choice',
    schema: z.array(z.string()).default([]),
  }),
  insecure: option({
    yaml: 'settings.client.insecure',
    flag: '--insecure',
    aliases: ['--client.insecure'],
    kind: 'boolean',
    help: 'accept any TLS certificate for https:// endpoints',
    schema: z.boolean().default(false),
  }),
  caFile: option({
    yaml: 'settings.client.ca_file',
    flag: '--ca-file <path>',
    aliases: ['--client.ca-file'],
    kind: 'string',
    help: 'trust this CA (PEM) for `https://` endpoints, besides the system roots; a certificate no trusted CA signed is refused before the run (exit 3) saying so',
    defaultText: 'none',
    schema: z.string().min(1).optional(),
  }),
  reportDir: option({
    yaml: 'report_dir',
    flag: '--report-dir <dir>',
    kind: 'string',
    help: "where the report goes; must be new or empty (a run never mixes its files with another's)",
    defaultText: '`reports/<UTC timestamp>-<4 hex>/`, created exclusively',
    schema: z.string().min(1).optional(),
  }),
  overwrite: option({
    yaml: null,
    flag: '--overwrite',
    kind: 'boolean',
    help: "reuse a non-empty --report-dir: llm-loadgen's files in it are removed first, others are left",
    schema: z.boolean().default(false),
  }),
  dryRun: option({
    yaml: null,
    flag: '--dry-run',
    kind: 'boolean',
    help: 'print the plan (shards, connections per shard, the port budget and how it was derived, the open-files limit) and exit; the endpoints are not contacted',
    schema: z.boolean().default(false),
  }),

  // ── workloads (issue 8): datasets, warmup, request shaping ──
  skipBadRows: option({
    yaml: 'settings.runtime.skip_bad_rows',
    flag: '--skip-bad-rows',
    kind: 'boolean',
    help: 'skip dataset rows that cannot be read (bad JSON, no prompt column, a wrong CSV cell count) and count them on the console and in the summary, instead of exiting 2 at the first',
    schema: z.boolean().default(false),
  }),
  warmupEnabled: option({
    yaml: 'settings.warmup.enabled',
    flag: '--warmup',
    kind: 'boolean',
    help: 'run a warmup phase before the measured one, with the same load pattern; its requests are never in the figures. Without --warmup-requests or --warmup-duration it sends the dataset once (as MLPerf Endpoints); either of those turns it on by itself, and `enabled: false` in YAML turns it off',
    defaultText: 'on when --warmup-requests or --warmup-duration is given',
    schema: z.boolean().optional(),
  }),
  warmupRequests: option({
    yaml: 'settings.warmup.n_requests',
    flag: '--warmup-requests <n>',
    kind: 'int',
    help: 'warmup requests to send before the measured phase',
    defaultText: 'the dataset once, when warmup is on',
    schema: positiveInt.optional(),
  }),
  warmupDuration: option({
    yaml: 'settings.warmup.duration',
    flag: '--warmup-duration <duration>',
    kind: 'string',
    help: 'send warmup requests for this long (`30s`, `2m`; a bare number is seconds); with --warmup-requests, whichever ends first',
    schema: duration('s', null).optional(),
    toYaml: (ms: number | undefined) => (ms === undefined ? undefined : formatDurationMs(ms)),
  }),
  warmupSalt: option({
    yaml: 'settings.warmup.salt',
    flag: '--warmup-salt',
    kind: 'boolean',
    help: "prefix each warmup prompt with a random `[16 hex digits] ` (as MLPerf Endpoints), so warmup does not fill the server's prefix cache with the measured prompts",
    schema: z.boolean().default(false),
  }),
  stop: option({
    yaml: 'model_params.stop',
    flag: '--stop <text>',
    kind: 'repeat',
    help: 'a stop sequence, sent in `stop`; repeatable (YAML: a string or a list)',
    defaultText: 'not sent',
    requestField: 'stop',
    schema: z
      .union([z.string().min(1), z.array(z.string().min(1, 'a stop sequence cannot be empty'))])
      .transform((v) => (typeof v === 'string' ? [v] : v))
      .transform((v) => (v.length === 0 ? undefined : v))
      .optional(),
  }),
  extraBody: option({
    yaml: 'model_params.extra_body',
    flag: '--extra-body <json>',
    kind: 'string',
    help: 'a JSON object merged into every request body (e.g. \'{"ignore_eos": true}\'); the named options (--temperature, …) win over its keys, and it cannot set model, messages, prompt, stream, stream_options or max_tokens (use --model, the dataset, --streaming, --max-output-tokens). String values under a key containing key, token, secret, password, auth, session or credential are redacted like the API key (config.yaml writes them as ${VARIABLE})',
    defaultText: 'none',
    toYaml: (body: Record<string, unknown> | undefined) => (body === undefined ? body : extraBodyForYaml(body)),
    schema: z
      .union([z.string(), z.record(z.string(), z.unknown())])
      .transform((v, ctx) => {
        const body = parseExtraBody(v);
        if (typeof body === 'string') {
          ctx.addIssue({ code: 'custom', message: body });
          return z.NEVER;
        }
        return body;
      })
      .optional(),
  }),

  // ── workloads (issue 8): tokenizers, synthetic lengths ──
  tokenizer: option({
    yaml: 'model_params.tokenizer_name',
    flag: '--tokenizer <path|server>',
    aliases: ['--model-params.tokenizer-name'],
    kind: 'string',
    help: "counts prompt tokens after the run: a tokenizer.json or a model directory with one (chat requests through its tokenizer_config.json chat template), or `server` for the endpoint's own /tokenize (vLLM, SGLang, llama.cpp); ISL falls back to it where the server sends no usage, and the report gives their disagreement",
    defaultText: 'none: ISL from server usage only',
    schema: z.string().min(1).optional(),
  }),
  forceOutputLength: option({
    yaml: 'model_params.force_output_length',
    flag: '--force-output-length <fields>',
    kind: 'choice',
    choices: ['ignore_eos', 'min_tokens', 'both', 'off'],
    help: 'what a `synthetic:…,output=N` dataset sends so the server generates N tokens: `ignore_eos: true` (vLLM, SGLang, llama.cpp), `min_tokens: N` (vLLM), both, or off (servers that reject unknown fields, e.g. OpenAI)',
    schema: z.enum(['ignore_eos', 'min_tokens', 'both', 'off']).default('ignore_eos'),
  }),

  // ── workloads (issue 8): multi-turn conversations ──
  multiTurn: option({
    yaml: 'multi_turn.enabled',
    flag: '--multi-turn',
    kind: 'boolean',
    help: "run each conversation of --dataset as a session (ShareGPT multi-turn, MLPerf Endpoints' agentic rows, or messages rows; docs/multi-turn.md): turn k+1 is sent when turn k's answer is complete, with the whole history; --concurrency = conversations active at once; the run ends after each conversation once (--num-conversations) or at --duration; chat API only (MLPerf Endpoints: load_pattern agentic_inference)",
    modes: ['online'],
    schema: z.boolean().default(false),
  }),
  multiTurnHistory: option({
    yaml: 'multi_turn.history',
    flag: '--multi-turn-history <source>',
    kind: 'choice',
    choices: ['model', 'dataset'],
    help: "the answers later turns carry as history: the model's own (its streamed text, captured) or the dataset's (as MLPerf Endpoints sends)",
    modes: ['online'],
    schema: z.enum(['model', 'dataset']).default('model'),
  }),
  thinkTime: option({
    yaml: 'multi_turn.think_time',
    flag: '--think-time <duration>',
    kind: 'string',
    help: "--multi-turn: pause between a turn's answer and the next turn of the same conversation (a user reading); a bare number is seconds; 0 = no pause",
    unit: 's',
    modes: ['online'],
    schema: duration('s', 'no pause').default(0),
    toYaml: (ms: number) => (ms === 0 ? 0 : formatDurationMs(ms)),
  }),
  sessionHeader: option({
    yaml: 'multi_turn.session_header',
    flag: '--session-header <name>',
    kind: 'string',
    help: "--multi-turn: header carrying the conversation id on every turn, for routers with session affinity ('' = none; MLPerf Endpoints: routing_headers)",
    modes: ['online'],
    schema: z
      .string()
      .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]*$/, 'must be an HTTP header name (letters, digits, -)')
      .default('X-Session-ID'),
  }),
  numConversations: option({
    yaml: 'multi_turn.num_conversations',
    flag: '--num-conversations <n>',
    aliases: ['--num-trajectories-to-issue'],
    kind: 'int',
    help: "--multi-turn: conversations to run; above the dataset's count they repeat, each repeat a new session id",
    defaultText: 'one per conversation of the dataset',
    modes: ['online'],
    schema: positiveInt.optional(),
  }),

  // ── answers (issue 9): SLOs, goodput, stop conditions, repeats ──
  slo: option({
    yaml: 'settings.slo',
    flag: '--slo <list>',
    kind: 'list',
    help: 'per-request SLOs for goodput (`ttft:200ms,tpot:50ms,itl-max:100ms,e2e:10s`: a request is good when it meets every one, as vLLM `--goodput`) and run SLOs that pass or fail the run (`p99(ttft)<=500ms`, `avg(tpot)<50ms`; a failed one exits 99); a bare number is ms',
    defaultText: 'none',
    schema: sloListSchema,
    toYaml: (slos: Slo[]) => (slos.length > 0 ? slos.map((s) => s.text) : undefined),
  }),
  maxErrors: option({
    yaml: 'settings.runtime.max_errors',
    flag: '--max-errors <n>',
    kind: 'int',
    help: 'stop the run once this many requests have failed (exit 4, error_limit_reached; the report covers what ran)',
    defaultText: 'no limit',
    schema: positiveInt.optional(),
  }),
  maxErrorRate: option({
    yaml: 'settings.runtime.max_error_rate',
    flag: '--max-error-rate <fraction>',
    kind: 'number',
    help: 'stop the run once more than this fraction of finished requests failed (checked from max(20, 1/fraction) finished requests on); e.g. 0.05',
    defaultText: 'no limit',
    schema: z.number().gt(0, 'must be above 0 (e.g. 0.05)').lt(1, 'must be below 1 (e.g. 0.05)').optional(),
  }),
  repeats: option({
    yaml: 'settings.runtime.repeats',
    flag: '--repeats <n>',
    kind: 'int',
    help: "run the same step N times, each in its own `repeat-<i>/` report subdir, and write each headline figure's mean and Student-t 95 % CI across them (repeats_summary.json, repeats.txt)",
    schema: positiveInt.default(1),
  }),
  maxDuration: option({
    yaml: 'settings.runtime.max_duration_ms',
    flag: '--max-duration <duration>',
    aliases: ['--runtime.max-duration-ms'],
    kind: 'string',
    help: 'hard cap on the whole run from its start, drain included: requests still in flight then end as cancelled_at_end; a bare number is milliseconds; 0 = no limit',
    unit: 'ms',
    defaultText: 'no limit',
    schema: duration('ms', 'no limit').default(0),
    toYaml: (ms: number) => ms,
  }),

  // ── answers (issue 9): arrival shapes, sweeps ──
  burstiness: option({
    yaml: 'settings.load_pattern.burstiness',
    flag: '--burstiness <k>',
    aliases: ['--load-pattern.burstiness'],
    kind: 'number',
    help: "poisson: gamma inter-arrival gaps of shape k at the target mean (vLLM's definition, theta = 1/(rate·k)); 1 = Poisson, < 1 burstier, > 1 smoother",
    modes: ['online'],
    schema: z.number().positive().default(1),
  }),
  rampUp: option({
    yaml: 'settings.load_pattern.ramp_up',
    flag: '--ramp-up <duration>',
    aliases: ['--load-pattern.ramp-up'],
    kind: 'string',
    help: 'the rate (poisson, constant) or the concurrency rises linearly from 0 to the target over this long, counted in --duration; 0 = none; a bare number is seconds',
    unit: 's',
    modes: ['online'],
    schema: duration('s', 'no ramp').default(0),
    toYaml: (ms: number) => (ms === 0 ? 0 : formatDurationMs(ms)),
  }),
  trace: option({
    yaml: 'settings.load_pattern.trace_file',
    flag: '--trace <file>',
    aliases: ['--load-pattern.trace-file'],
    kind: 'string',
    help: 'replay send times from a file: one time in seconds per line, or Mooncake JSONL {timestamp (ms), input_length, output_length, hash_ids} whose lengths shape the prompts',
    defaultText: 'none',
    modes: ['online'],
    schema: z.string().min(1).optional(),
  }),
  timeScale: option({
    yaml: 'settings.load_pattern.time_scale',
    flag: '--time-scale <x>',
    aliases: ['--load-pattern.time-scale'],
    kind: 'number',
    help: 'trace times are multiplied by this: 0.5 replays twice as fast, 2 at half speed',
    modes: ['online'],
    schema: z.number().positive().default(1),
  }),
  sweepRates: option({
    yaml: 'settings.sweep.rates',
    flag: '--sweep-rates <n>',
    kind: 'int',
    help: '`sweep`: rate steps spaced evenly after the synchronous and throughput steps, up to the throughput rate (guidellm: sweep_size − 2)',
    modes: ['online'],
    schema: positiveInt.default(8),
  }),
  sweepMaxConcurrency: option({
    yaml: 'settings.sweep.max_concurrency',
    flag: '--sweep-max-concurrency <n>',
    kind: 'int',
    help: "`sweep`: requests in flight in the throughput step (guidellm's max_concurrency)",
    modes: ['online'],
    schema: positiveInt.default(512),
  }),
  sweepMaxErrorRate: option({
    yaml: 'settings.sweep.max_error_rate',
    flag: '--sweep-max-error-rate <x>',
    kind: 'number',
    help: 'sweeps: stop after a step whose failed ÷ issued is above this (0–1); with --find-max-goodput a step above it fails',
    defaultText: 'never (max-goodput: 0)',
    modes: ['online'],
    schema: z.number().min(0).max(1).optional(),
  }),
  sweepMaxSloMissRate: option({
    yaml: 'settings.sweep.max_slo_miss_rate',
    flag: '--sweep-max-slo-miss-rate <x>',
    kind: 'number',
    help: 'sweeps: stop after a step where more than this share of requests missed a per-request SLO (0–1)',
    defaultText: 'never',
    modes: ['online'],
    schema: z.number().min(0).max(1).optional(),
  }),

  // ── results (issue 10): store, records, labels ──
  resultsDb: option({
    yaml: 'results.db',
    flag: '--results-db <path>',
    kind: 'string',
    help: 'the results database (DuckDB) every run is stored in as it goes: `llm-loadgen runs`, `report`, `export`, `compare` read it (docs/results.md); when another llm-loadgen holds it, the run stores into `llm-loadgen.duckdb` in its report directory and says so',
    defaultText: '`results/llm-loadgen.duckdb`',
    schema: z.string().min(1).default('results/llm-loadgen.duckdb'),
  }),
  records: option({
    yaml: 'results.records',
    flag: '--records <format>',
    kind: 'choice',
    choices: ['auto', 'jsonl', 'none'],
    help: "records.jsonl in the report directory besides the database: `auto` writes it for runs of up to 100,000 requests (~1 s to write), `jsonl` always, `none` never; `llm-loadgen export RUN` writes any run's records later",
    schema: z.enum(['auto', 'jsonl', 'none']).default('auto'),
  }),
  labels: option({
    yaml: 'results.labels',
    flag: '--label <key=value>',
    kind: 'repeat',
    help: 'a label stored with the run, repeatable (`--label gpu=h100 --label build=42`); `llm-loadgen runs --label k=v` filters on it',
    defaultText: '—',
    schema: z
      .array(z.string().regex(/^[A-Za-z0-9_.-]+=.*$/, 'must be key=value, the key of letters, digits, _ . -'))
      .default([]),
  }),

  // ── results (issue 10): HTML report, live view ──
  quiet: option({
    yaml: null,
    flag: '--quiet',
    kind: 'boolean',
    help: 'print only the final report: no live view and no notices (errors still go to stderr)',
    schema: z.boolean().default(false),
  }),
  json: option({
    yaml: null,
    flag: '--json',
    kind: 'boolean',
    help: 'the live view as JSON lines on stdout, one event per second and a last `done` event (docs/report-html.md); the text report then goes to stderr',
    schema: z.boolean().default(false),
  }),

  // ── native fast paths and timers ──
  sendTimer: option({
    yaml: 'settings.client.send_timer',
    flag: '--send-timer <timer>',
    kind: 'choice',
    choices: SEND_TIMERS,
    help: 'how poisson sending waits for each send time: native (a timerfd, precise and cheap), spin (setTimeout then polling: precise, a busy core past ~700 req/s), timeout (setTimeout: ~1 ms late); auto = native when the addon is built, else spin',
    modes: ['online'],
    schema: z.enum(SEND_TIMERS).default('auto'),
  }),
  sendWindow: option({
    yaml: 'settings.client.send_window_ms',
    flag: '--send-window <ms>',
    kind: 'number',
    help: 'poisson sending wakes this long after a send time and sends everything due by then in one turn: fewer timer wakes per request (CPU) for up to this much added schedule lag, which the report shows (TTFT and latency count from the actual send); never early; 0 = wake at each send time',
    modes: ['online'],
    // 0.5 ms: shard CPU per request −47 % at 20,000 req/s, −44 % at 5,000, −33 % at 2,000, and
    // schedule lag p99 0.61–0.71 ms, under the 1 ms client-health limit (docs/PERFORMANCE.md, "Session 13").
    schema: z.number().min(0).max(100).default(0.5),
  }),
  mainNice: option({
    yaml: 'settings.client.main_nice',
    flag: '--main-nice <n>',
    kind: 'int',
    help: 'during a run, the main process (results-database appends, progress) runs this many nice levels below its shards, so on a shared core its work does not delay their sends (Linux; needs CAP_SYS_NICE or ulimit -e to set it back for the next run, else skipped; 0 = off)',
    schema: z.number().int().min(0).max(19).default(10),
  }),
  mainSched: option({
    yaml: 'settings.client.main_sched',
    flag: '--main-sched <policy>',
    kind: 'choice',
    choices: MAIN_SCHED_POLICIES,
    help: 'how the main process is lowered below its shards during a run: idle = SCHED_IDLE as well as --main-nice (a shard about to send preempts it at once; a guard thread puts its threads back to normal when one is starved of CPU, so Ctrl-C and --max-duration still act and the appends keep up; needs the addon, else as nice; --main-nice 0 turns both off), nice = --main-nice only',
    schema: z.enum(MAIN_SCHED_POLICIES).default('idle'),
  }),
  shardHelpers: option({
    yaml: 'settings.client.shard_helpers',
    flag: '--shard-helpers <policy>',
    kind: 'choice',
    choices: SHARD_HELPER_POLICIES,
    help: "how a shard's helper threads (V8's compiler and GC workers, libuv's pool) run beside its JS thread during a run: idle = SCHED_IDLE, so a woken JS thread takes the core from them at once (a guard thread puts them back to normal while one is starved of CPU; Linux with the addon, and CAP_SYS_NICE or ulimit -e to put them back, else as normal), normal = as Node starts them",
    schema: z.enum(SHARD_HELPER_POLICIES).default('idle'),
  }),

  // ── multi-host (issue 12) ──
  shard: option({
    yaml: 'settings.distributed.shard',
    flag: '--shard <i/N>',
    kind: 'string',
    help: 'this host runs part i of a run split over N hosts (0-based): rate λ/N, concurrency C/N, rows i, i+N, …, its own seeds; every host must run the same --workers. Read from JOB_COMPLETION_INDEX (Kubernetes Indexed Job, with --shards) or SLURM_PROCID/SLURM_NTASKS when not given (docs/multi-host.md)',
    defaultText: 'one host',
    schema: z.string().min(1).optional(),
  }),
  shards: option({
    yaml: 'settings.distributed.shards',
    flag: '--shards <n>',
    kind: 'int',
    help: 'how many hosts the run is split over, when the index comes from JOB_COMPLETION_INDEX (the Job’s completions)',
    schema: positiveInt.optional(),
  }),
  startAt: option({
    yaml: 'settings.distributed.start_at',
    flag: '--start-at <time>',
    kind: 'string',
    help: 'start the clock at this wall-clock instant (ISO 8601 with a zone, or @epoch-seconds), after warmup: every host of a run is told the same one',
    schema: z.string().min(1).optional(),
  }),
  startBarrier: option({
    yaml: 'settings.distributed.start_barrier',
    flag: '--start-barrier <dir>',
    kind: 'string',
    help: 'a directory every host sees (a shared volume): each host writes ready-<i>, host 0 then writes the start time 3 s ahead, and all start at it; fails after 10 minutes naming the hosts that never came',
    schema: z.string().min(1).optional(),
  }),

  // ── accuracy (issue 11) ──
  testMode: option({
    yaml: 'settings.accuracy.mode',
    flag: '--mode <mode>',
    kind: 'choice',
    choices: ['perf', 'acc', 'both'],
    help: 'perf: the performance phase; acc: only the accuracy datasets, scored; both: performance, then accuracy',
    defaultText: 'perf, or both when an accuracy dataset is given',
    schema: z.enum(['perf', 'acc', 'both']).optional(),
  }),
  accuracyOnly: option({
    yaml: null,
    flag: '--accuracy-only',
    kind: 'boolean',
    help: "the same as --mode acc (MLPerf Endpoints' name)",
    schema: z.boolean().default(false),
  }),
  accuracyConcurrency: option({
    yaml: 'settings.accuracy.concurrency',
    flag: '--accuracy-concurrency <n>',
    kind: 'int',
    help: 'requests in flight while the accuracy datasets are sent (each row once per repeat, in order)',
    defaultText: "the performance phase's --concurrency, else 32",
    schema: positiveInt.optional(),
  }),
  accuracyRepeats: option({
    yaml: 'settings.accuracy.num_repeats',
    flag: '--accuracy-repeats <n>',
    kind: 'int',
    help: "times each accuracy row is sent (pass@k-style sampling) where its dataset's accuracy_config.num_repeats is not set",
    schema: positiveInt.default(1),
  }),
} as const;

export type OptionKey = keyof typeof BENCHMARK_OPTIONS;
export const OPTION_KEYS = Object.keys(BENCHMARK_OPTIONS) as OptionKey[];

/** The table as plain specs (for code that walks every option). */
export function optionSpec(key: OptionKey): OptionSpec {
  return BENCHMARK_OPTIONS[key] as OptionSpec;
}

/** The schema's default for an option, or undefined when it has none. */
export function optionDefault(key: OptionKey): unknown {
  const parsed = optionSpec(key).schema.safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

/** `--max-connections <n>` → `--max-connections`. */
export function flagName(flag: string): string {
  return flag.split(' ')[0];
}

/** Whether the option applies to a benchmark of this mode. */
export function appliesTo(key: OptionKey, mode: BenchmarkMode): boolean {
  const modes = optionSpec(key).modes;
  return modes === undefined || modes.includes(mode);
}
