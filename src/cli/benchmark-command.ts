/** `llm-loadgen benchmark offline|online`: flag names follow MLPerf Endpoints'. */
import { Command, Option } from 'commander';
import type { BenchmarkSettingsInput } from '../config/benchmark-settings.js';
import { runBenchmark } from '../run/run-benchmark.js';
import { collectList, collectRepeated, parseIntFlag, parseNumberFlag } from './flag-parsers.js';

interface BenchmarkFlags {
  endpoints?: string[];
  model?: string;
  apiType?: 'chat' | 'completions';
  apiKey?: string;
  dataset?: string;
  numSamples?: number;
  duration?: string;
  loadPattern?: 'poisson' | 'concurrency';
  targetQps?: number;
  concurrency?: number;
  streaming?: 'on' | 'off' | 'auto';
  maxOutputTokens?: number;
  workers?: number;
  maxConnections?: number;
  maxConcurrentConnects?: number;
  warmupConnections?: number;
  maxIdleTime?: string;
  requestTimeout?: string;
  connectTimeout?: string;
  drainTimeout?: string;
  endpointDownTimeout?: string;
  reportDir?: string;
  seed?: number;
  insecure?: boolean;
  caFile?: string;
  header?: string[];
  overwrite?: boolean;
  sourceIps?: string[];
  dryRun?: boolean;
  maxEventBytes?: number;
  maxResponseBytes?: number;
}

function addCommonOptions(cmd: Command): Command {
  return cmd
    .requiredOption(
      '--endpoints <urls>',
      'base URL(s) of OpenAI-compatible servers, comma-separated; the API path is appended',
      collectList,
    )
    .requiredOption('--model <name>', 'model name sent in every request')
    .option(
      '--dataset <path>',
      'JSONL/JSON dataset (column prompt, text_input, input, question, user_prompt, or messages); default: synthetic prompts',
    )
    .option('--num-samples <n>', 'requests to send (offline default: one per dataset row)', parseIntFlag)
    .addOption(
      new Option('--streaming <mode>', 'SSE streaming: on, off, or auto (on for online, off for offline)')
        .choices(['on', 'off', 'auto'])
        .default('auto'),
    )
    .addOption(new Option('--api-type <type>', 'OpenAI API to call').choices(['chat', 'completions']).default('chat'))
    .option(
      '--max-output-tokens <n>',
      'max_tokens sent with each request (a dataset column overrides it per row)',
      parseIntFlag,
    )
    .option(
      '--api-key <key>',
      'sent as "Authorization: Bearer"; OPENAI_API_KEY is read when absent (never written anywhere)',
    )
    .option('--workers <n>', 'shard processes (default: one per core)', parseIntFlag)
    .option('--max-connections <n>', "total connections, -1 = auto (the host's port budget)", parseIntFlag, -1)
    .option('--max-concurrent-connects <n>', 'connects in flight per pool (pacing)', parseIntFlag, 128)
    .option(
      '--warmup-connections <n>',
      'connections opened before the clock starts; -1 = what the load needs, 0 = none',
      parseIntFlag,
      -1,
    )
    .option('--max-idle-time <duration>', 'close connections idle this long', '4s')
    .option(
      '--request-timeout <duration>',
      'fail a request with no complete response after this long (0 = never)',
      '600s',
    )
    .option('--connect-timeout <duration>', 'fail a connect after this long', '30s')
    .option(
      '--endpoint-down-timeout <duration>',
      'stop the run (exit 4) when every connect to an endpoint has failed for this long (0 = never)',
      '10s',
    )
    .option(
      '--source-ips <ips>',
      'local IPs that new connections bind to, round-robin (comma-separated; on Linux all of 127.0.0.0/8 is local)',
      collectList,
    )
    .option('--dry-run', 'print the plan (shards, connections, port budget) and exit without sending', false)
    .option('--report-dir <dir>', 'where reports go (default: reports/<timestamp>)')
    .option('--seed <n>', 'seed for sample order and arrival times', parseIntFlag, 42)
    .option('--insecure', 'accept any TLS certificate (https endpoints)', false)
    .option('--ca-file <path>', 'trust this CA (PEM) for https endpoints, besides the system roots')
    .option(
      '--max-event-bytes <n>',
      'fail a request whose SSE line or event passes this many bytes (event_too_large; default 4 MiB)',
      parseIntFlag,
    )
    .option(
      '--max-response-bytes <n>',
      'fail a request whose non-streaming body passes this many bytes (response_too_large; default 32 MiB)',
      parseIntFlag,
    )
    .option(
      '--header <header>',
      'extra request header "Name: value", repeatable (secret-looking values are redacted)',
      collectRepeated,
    )
    .option('--overwrite', 'replace the report in a non-empty --report-dir', false);
}

function toSettings(mode: 'offline' | 'online', f: BenchmarkFlags): BenchmarkSettingsInput {
  const requestTimeout = f.requestTimeout === '0' ? 0 : f.requestTimeout;
  const endpointDownTimeout = f.endpointDownTimeout === '0' ? 0 : f.endpointDownTimeout;
  return {
    mode,
    endpoints: f.endpoints ?? [],
    model: f.model ?? '',
    apiType: f.apiType,
    apiKey: f.apiKey ?? (process.env.OPENAI_API_KEY || undefined),
    dataset: f.dataset,
    numSamples: f.numSamples,
    duration: f.duration,
    loadPattern: f.loadPattern,
    targetQps: f.targetQps,
    concurrency: f.concurrency,
    streaming: f.streaming,
    maxOutputTokens: f.maxOutputTokens,
    workers: f.workers,
    maxConnections: f.maxConnections,
    maxConcurrentConnects: f.maxConcurrentConnects,
    warmupConnections: f.warmupConnections,
    maxIdleTime: f.maxIdleTime,
    requestTimeout,
    connectTimeout: f.connectTimeout,
    drainTimeout: f.drainTimeout,
    endpointDownTimeout,
    reportDir: f.reportDir,
    seed: f.seed,
    insecure: f.insecure,
    caFile: f.caFile,
    headers: f.header ?? [],
    overwrite: f.overwrite,
    sourceIps: f.sourceIps ?? [],
    dryRun: f.dryRun,
    maxEventBytes: f.maxEventBytes,
    maxResponseBytes: f.maxResponseBytes,
  };
}

async function execute(mode: 'offline' | 'online', flags: BenchmarkFlags): Promise<void> {
  const result = await runBenchmark(toSettings(mode, flags), {
    out: process.stdout,
    err: process.stderr,
    handleSignals: true,
  });
  process.exitCode = result.exitCode;
}

export function benchmarkCommand(): Command {
  const bench = new Command('benchmark').description('measure an endpoint under load and write a report');
  bench.addCommand(
    addCommonOptions(
      new Command('offline').description(
        'send every sample at once (bounded only by connections); non-streaming by default',
      ),
    ).action((flags: BenchmarkFlags) => execute('offline', flags)),
  );
  bench.addCommand(
    addCommonOptions(
      new Command('online').description(
        'send at a target rate (poisson) or keep a fixed number in flight (concurrency); streaming by default',
      ),
    )
      .addOption(
        new Option(
          '--load-pattern <pattern>',
          'arrival pattern (default: poisson, or concurrency when --concurrency is given)',
        ).choices(['poisson', 'concurrency']),
      )
      .option('--target-qps <qps>', 'requests per second (poisson)', parseNumberFlag)
      .option('--concurrency <n>', 'requests kept in flight (concurrency)', parseIntFlag)
      .option('--duration <duration>', 'how long to send, e.g. 30s, 5m (default 30s unless --num-samples is given)')
      .option(
        '--drain-timeout <duration>',
        'after --duration, wait this long for requests in flight; the rest end as cancelled_at_end ' +
          '(default: the larger of 30s and a tenth of --duration, at most --request-timeout)',
      )
      .action((flags: BenchmarkFlags) => execute('online', flags)),
  );
  return bench;
}
