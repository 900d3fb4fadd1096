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

/** A secret header's value as an environment variable (`X-Api-Key: ${X_API_KEY}`), so config.yaml still runs. */
export function headerForYaml(raw: string): string {
  const colon = raw.indexOf(':');
  const name = colon < 0 ? raw.trim() : raw.slice(0, colon).trim();
  if (!isSecretHeader(name)) return raw;
  return `${name}: \${${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}}`;
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
    help: '`[perf:|acc:]PATH[,samples=N,parser.prompt=COL,parser.system=COL,format=jsonl|json,eval_method=M,ground_truth=COL,extractor=E,num_repeats=N]`, repeatable (one performance dataset per run, any number of `acc:` ones: docs/accuracy.md); .jsonl/.ndjson or .json; prompt column prompt, text_input, input, question, user_prompt or messages unless parser.prompt names one',
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
    choices: ['poisson', 'concurrency'],
    help: 'online arrival pattern (offline is max_throughput)',
    defaultText: 'poisson, or concurrency when --concurrency is given',
    modes: ['online'],
    schema: z.enum(['max_throughput', 'poisson', 'concurrency']).optional(),
    toYaml: (p: string) => (p === 'offline' ? 'max_throughput' : p),
  }),
  targetQps: option({
    yaml: 'settings.load_pattern.target_qps',
    flag: '--target-qps <qps>',
    aliases: ['--load-pattern.target-qps'],
    kind: 'number',
    help: 'Poisson rate (exponential gaps on an absolute schedule: no drift)',
    unit: 'requests/s',
    modes: ['online'],
    schema: z.number().positive().optional(),
  }),
  concurrency: option({
    yaml: 'settings.load_pattern.target_concurrency',
    flag: '--concurrency <n>',
    aliases: ['--target-concurrency', '--load-pattern.target-concurrency'],
    kind: 'int',
    help: 'requests kept in flight (each one that ends is replaced at once)',
    modes: ['online'],
    schema: positiveInt.optional(),
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

  // ── workloads (issue 8): tokenizers, synthetic lengths ──

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
    help: "--multi-turn: pause between a turn's answer and the next turn of the same conversation (a user reading); a bare number is seconds",
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

  // ── answers (issue 9): arrival shapes, sweeps ──

  // ── results (issue 10): store, records, labels ──

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
