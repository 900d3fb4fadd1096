/**
 * A whole benchmark from settings to report files, in three phases: planRun (settings, dataset,
 * endpoint checks, connection and shard plans, the report directory and config.yaml), executeRun
 * (shards, warmup, progress line, Ctrl-C) and writeRunReport (the summary on the console first,
 * then performance/result_summary.json, report.txt and records.jsonl, each written atomically; the exit code).
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { parseEndpoints } from '../api/endpoint.js';
import { parseExtraHeaders, secretHeaderValues, type ExtraHeader } from '../api/extra-headers.js';
import { bindNoPortAvailable } from '../client/bound-socket.js';
import {
  performanceDataset,
  resolveSettings,
  type BenchmarkSettings,
  type BenchmarkSettingsInput,
} from '../config/benchmark-settings.js';
import { formatSettingsYaml, settingsTree } from '../config/settings-yaml.js';
import { checkSourceIps } from '../config/source-ips.js';
import { loadDataset } from '../dataset/load-dataset.js';
import { attachConversations, loadConversationDataset } from '../conversation/conversation-plan.js';
import { formatConversationReport, summarizeConversations } from '../conversation/conversation-summary.js';
import { ErrorCode, ExitCode, RunFailedError, formatError } from '../errors.js';
import { buildResultSummary, type ResultSummary } from '../metrics/result-summary.js';
import { collectSecrets, redact } from '../record/redact-secrets.js';
import { writeRecordsJsonl } from '../report/records-jsonl.js';
import {
  REPORT_FILES,
  createReportDir,
  describeFsError,
  summaryJson,
  writeConfigYaml,
  writeTextAtomically,
} from '../report/report-files.js';
import { formatReportText } from '../report/report-text.js';
import { writeRunReportHtml } from '../report/html/report-html.js';
import type { ResolvedEndpoint, ShardPlan } from '../shard/shard-plan.js';
import { BenchmarkRun, summarizeShards, type RunOutcome } from './benchmark-run.js';
import { planConnections, readHostLimits, type ConnectionPlan } from './connection-plan.js';
import { formatPlan } from './plan-text.js';
import { preflight, resolveEndpoint } from './preflight.js';
import { jsonLine, reportEvent } from './live-view-json.js';
import { LiveView, liveViewMode, noticeStream } from './live-view.js';
import { drainTimeoutMs, splitIntoShards } from './shard-split.js';
import { loadAccuracyDatasets, type AccuracyDataset } from '../accuracy/accuracy-datasets.js';
import { finishWithAccuracy } from './accuracy-report.js';

/** Synthetic prompts made when no --dataset is given. */
export const SYNTHETIC_DATASET_SIZE = 1000;

export interface BenchmarkIo {
  /** Human output (the final report). */
  out: NodeJS.WritableStream;
  /** Progress and notices. */
  err: NodeJS.WriteStream;
  /** Install Ctrl-C handling (the CLI does; tests may not). */
  handleSignals: boolean;
}

export interface BenchmarkResult {
  exitCode: number;
  /** null for --dry-run. */
  summary: ResultSummary | null;
  reportDir: string | null;
}

/** Everything decided before the first request. */
export interface RunPlan {
  settings: BenchmarkSettings;
  endpoints: ResolvedEndpoint[];
  endpointNames: string[];
  connections: ConnectionPlan;
  shardPlans: ShardPlan[];
  /** Every secret of the run (API key, URL credentials, secret --header values). */
  secrets: string[];
  /** null for --dry-run (nothing is written). */
  reportDir: string | null;
  /** The accuracy datasets, loaded and checked (empty for --mode perf). */
  accuracy: AccuracyDataset[];
}

export async function runBenchmark(input: BenchmarkSettingsInput, io: BenchmarkIo): Promise<BenchmarkResult> {
  const plan = await planRun(input);
  if (plan.reportDir === null) {
    io.out.write(
      formatPlan(plan.settings, plan.endpoints, plan.connections) +
        '  endpoints:        not checked (--dry-run sends nothing)\n',
    );
    return { exitCode: ExitCode.ok, summary: null, reportDir: null };
  }
  let result: BenchmarkResult = { exitCode: ExitCode.ok, summary: null, reportDir: plan.reportDir };
  if (plan.settings.testMode !== 'acc') {
    result = await writeRunReport(plan, await executeRun(plan, io), io);
    // An interrupted or failed performance phase is not followed by accuracy.
    if (result.exitCode !== ExitCode.ok) return result;
  }
  return plan.accuracy.length > 0 ? finishWithAccuracy(plan, result, io) : result;
}

export async function planRun(input: BenchmarkSettingsInput): Promise<RunPlan> {
  // Flags first (exit 2 naming the flag), before reading what may be a large dataset.
  const early = resolveSettings(input, 1);
  const headers: ExtraHeader[] = parseExtraHeaders(early.headers);
  const spec = performanceDataset(early);
  const dataset = await (early.multiTurn ? loadConversationDataset : loadDataset)(spec?.path, {
    syntheticCount: SYNTHETIC_DATASET_SIZE,
    seed: early.dataloaderRandomSeed,
    format: spec?.format,
    columns: spec?.parser,
    limit: spec?.samples,
    shuffle: true,
  });
  const settings = resolveSettings(input, dataset.samples.length);
  const accuracy = await loadAccuracyDatasets(settings);
  // --dry-run plans without contacting the endpoints (a name that does not resolve is planned as given).
  const parsedEndpoints = parseEndpoints(settings.endpoints, settings.apiType);
  let endpoints: ResolvedEndpoint[];
  if (settings.dryRun) {
    endpoints = await Promise.all(
      parsedEndpoints.map((e) => resolveEndpoint(e).catch(() => ({ ...e, address: e.host }))),
    );
    await checkSourceIps(settings.sourceIps, new Set(endpoints.map((e) => (net.isIP(e.address) === 6 ? 6 : 4))));
  } else {
    endpoints = await preflight(parsedEndpoints, {
      sourceIps: settings.sourceIps,
      insecure: settings.insecure,
      caFile: settings.caFile,
    });
  }
  const connections = planConnections(
    settings,
    endpoints,
    readHostLimits(settings.sourceIps.length > 0 && bindNoPortAvailable()),
  );
  const shardPlans = splitIntoShards({
    settings,
    endpoints,
    samples: dataset.samples,
    shards: connections.shards,
    perShardPerEndpoint: connections.perShardPerEndpoint,
    headers,
  });
  attachConversations(shardPlans, dataset, settings, input);
  const secrets = collectSecrets(
    settings.apiKey,
    endpoints.map((e) => e.basicAuthorization),
    secretHeaderValues(headers),
  );
  const endpointNames = endpoints.map((e) => e.displayUrl);
  let reportDir: string | null = null;
  if (!settings.dryRun) {
    // Created (or checked empty) and written to before any load: an unusable directory is exit 2 now.
    reportDir = await createReportDir(settings.reportDir, settings.overwrite);
    await writeConfigYaml(
      reportDir,
      formatSettingsYaml(settingsTree(settings, { endpoints: endpointNames }), settings.apiKey !== undefined),
    );
  }
  return { settings, endpoints, endpointNames, connections, shardPlans, secrets, reportDir, accuracy };
}

/** What the run is, in the banner's words: "online poisson run", "offline run". */
export function describeRun(settings: Pick<BenchmarkSettings, 'mode' | 'loadPattern'>): string {
  return settings.mode === 'offline' ? 'offline run' : `${settings.mode} ${settings.loadPattern} run`;
}

export async function executeRun(plan: RunPlan, io: BenchmarkIo): Promise<RunOutcome> {
  const { settings, connections } = plan;
  const shards = connections.shards;
  const notices = noticeStream(settings, io.err);
  const progress = new LiveView(
    {
      total: Number.isFinite(settings.numSamples) ? settings.numSamples : null,
      durationMs: Number.isFinite(settings.duration) ? settings.duration : null,
      drainTimeoutMs: drainTimeoutMs(settings),
      targetQps: settings.loadPattern === 'poisson' ? (settings.targetQps ?? null) : null,
      concurrency: settings.loadPattern === 'concurrency' ? (settings.concurrency ?? null) : null,
    },
    liveViewMode(settings),
    io,
  );
  const run = new BenchmarkRun(
    plan.shardPlans,
    {
      onWarm: (opened, ms) => {
        progress.warm();
        if (opened > 0) progress.notice(`warmup: ${opened} connections open in ${(ms / 1000).toFixed(2)} s\n`);
      },
      onStart: () => progress.start(),
      onProgress: (p, liveTtft) => progress.update(p, liveTtft),
    },
    connections.warmupPerShardPerEndpoint,
  );
  notices.write(
    `llm-loadgen: ${describeRun(settings)} against ${plan.endpointNames.join(', ')} ` +
      `(model ${settings.model}, ${settings.streaming ? 'streaming' : 'non-streaming'}, ${shards} shard${shards === 1 ? '' : 's'}, ` +
      `up to ${connections.maxConnections} connections)\n`,
  );
  if (connections.shardNote !== null) notices.write(`note: ${connections.shardNote}\n`);
  for (const w of connections.warnings) notices.write(`warning: ${w}\n`);
  progress.connecting();

  let onSigint: (() => void) | null = null;
  if (io.handleSignals) {
    let count = 0;
    onSigint = () => {
      count++;
      progress.stop();
      io.err.write(
        count === 1
          ? '\ninterrupted: cancelling in-flight requests and writing a partial report (Ctrl-C again to stop at once)\n'
          : '\nstopping now\n',
      );
      run.interrupt();
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
  }
  try {
    return await run.run();
  } finally {
    progress.stop();
    if (onSigint !== null) {
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGTERM', onSigint);
    }
  }
}

export async function writeRunReport(plan: RunPlan, outcome: RunOutcome, io: BenchmarkIo): Promise<BenchmarkResult> {
  const { settings, endpointNames, secrets } = plan;
  const reportDir = plan.reportDir!;
  const shards = summarizeShards(outcome.shards);
  const summary = buildResultSummary({
    records: outcome.records,
    state: outcome.state,
    startNs: outcome.startNs,
    endNs: outcome.endNs,
    mode: settings.mode,
    loadPattern: settings.loadPattern,
    offeredQps: settings.loadPattern === 'poisson' ? settings.targetQps : undefined,
    portExhaustionEvents: shards.portExhaustionEvents,
    clientCpuNs: shards.cpuNs === undefined ? undefined : shards.cpuNs + outcome.mainCpuNs,
    shards: plan.connections.shards,
  });
  if (settings.multiTurn) summary.conversations = summarizeConversations(outcome.records, plan.shardPlans);
  const context = {
    model: settings.model,
    endpoints: endpointNames,
    mode: settings.mode,
    loadPattern: settings.loadPattern,
    streaming: settings.streaming,
    reportDir,
  };
  let text = formatReportText(summary, context);
  if (summary.conversations !== undefined) text += formatConversationReport(summary.conversations);
  // The console first: whatever happens to the disk, the result has been seen (on stderr with --json: stdout is JSON).
  const notices = noticeStream(settings, io.err);
  (settings.json ? io.err : io.out).write(text.endsWith('\n') ? text : text + '\n');
  if (summary.client_cpu_ns !== null && summary.n_samples_issued > 0) {
    notices.write(
      `client CPU during the run: ${(summary.client_cpu_ns / 1e9).toFixed(2)} s (${plan.connections.shards} shard(s) ${((shards.cpuNs ?? 0) / 1e9).toFixed(2)} s, main process ${(outcome.mainCpuNs / 1e9).toFixed(2)} s), ` +
        `${(summary.client_cpu_ns / summary.n_samples_issued / 1000).toFixed(1)} µs per request\n`,
    );
  }

  // Small files first: a disk that fills up on records.jsonl still keeps the summary.
  // Large runs take a while to write out (~1 µs per token chunk): say so rather than go quiet.
  if (outcome.records.count >= 100_000) notices.write(`writing ${outcome.records.count} records…\n`);
  const files: [name: string, write: (file: string) => Promise<void>][] = [
    [REPORT_FILES.summary, (file) => writeTextAtomically(file, summaryJson(summary))],
    [REPORT_FILES.text, (file) => writeTextAtomically(file, text)],
    [
      REPORT_FILES.html,
      async (file) =>
        writeRunReportHtml(file, {
          summary,
          context,
          records: outcome.records,
          startNs: outcome.startNs,
          endNs: outcome.endNs,
          seed: settings.schedulerRandomSeed,
          configYaml: await readFile(path.join(reportDir, REPORT_FILES.config), 'utf8'),
          shards: plan.connections.shards,
        }),
    ],
    [REPORT_FILES.records, (file) => writeRecordsJsonl(file, outcome.records, outcome.startNs, endpointNames)],
  ];
  const written: string[] = [REPORT_FILES.config];
  let writeError: RunFailedError | null = null;
  for (const [name, write] of files) {
    const file = path.join(reportDir, name);
    try {
      await write(file);
      written.push(name);
    } catch (err) {
      const reason = describeFsError(err);
      if (reason === undefined) throw err;
      writeError ??= new RunFailedError(
        ErrorCode.reportWriteFailed,
        `could not write ${file} (${reason}); the summary above is complete` +
          ` and ${reportDir}/ holds ${written.join(', ')}. Free space or pick another --report-dir, and run again.`,
        { cause: err },
      );
    }
  }
  if (writeError === null)
    notices.write(`report written to ${reportDir}/ (charts: ${path.join(reportDir, REPORT_FILES.html)})\n`);

  let exitCode: number = ExitCode.ok;
  if (writeError !== null) {
    io.err.write(formatError(writeError) + '\n');
    exitCode = writeError.exitCode;
  } else if (outcome.state === 'interrupted') exitCode = ExitCode.interrupted;
  else if (outcome.state === 'failed') {
    const err = new RunFailedError(
      outcome.endpointDown === true ? ErrorCode.endpointDown : ErrorCode.runFailed,
      redact(outcome.failure ?? 'the run failed', secrets),
    );
    io.err.write(formatError(err) + '\n');
    exitCode = err.exitCode;
  } else if (summary.n_samples_issued > 0 && summary.n_samples_completed === 0) {
    const err = new RunFailedError(
      ErrorCode.allRequestsFailed,
      `all ${summary.n_samples_issued} requests failed; see the errors in ${reportDir}/${REPORT_FILES.text}`,
    );
    io.err.write(formatError(err) + '\n');
    exitCode = err.exitCode;
  }
  if (settings.json) io.out.write(jsonLine(reportEvent(summary, reportDir, exitCode)));
  return { exitCode, summary, reportDir };
}
