/**
 * A whole benchmark from settings to report files: load the dataset, resolve settings, check
 * the endpoints, plan connections and shards, run with a progress line, handle Ctrl-C, and
 * write result_summary.json, report.txt, records.jsonl and config.yaml.
 */
import path from 'node:path';
import { parseEndpoints } from '../api/endpoint.js';
import { resolveSettings, settingsForDisplay, type BenchmarkSettingsInput } from '../config/benchmark-settings.js';
import { loadDataset } from '../dataset/load-dataset.js';
import { ExitCode, RunFailedError } from '../errors.js';
import { buildResultSummary, type ResultSummary } from '../metrics/result-summary.js';
import { writeRecordsJsonl } from '../report/records-jsonl.js';
import { collectSecrets, redact } from '../record/redact-secrets.js';
import {
  REPORT_FILES,
  defaultReportDir,
  ensureReportDir,
  writeConfigYaml,
  writeSummaryFiles,
} from '../report/report-files.js';
import { formatReportText } from '../report/report-text.js';
import { BenchmarkRun } from './benchmark-run.js';
import { bindNoPortAvailable } from '../client/bound-socket.js';
import { planConnections, readHostLimits } from './connection-plan.js';
import { formatPlan } from './plan-text.js';
import { preflight } from './preflight.js';
import { ProgressDisplay } from './progress-display.js';
import { splitIntoShards } from './shard-split.js';

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

export async function runBenchmark(input: BenchmarkSettingsInput, io: BenchmarkIo): Promise<BenchmarkResult> {
  // Flags first (exit 2 naming the flag), before reading what may be a large dataset.
  resolveSettings(input, 1);
  const dataset = await loadDataset(input.dataset, { syntheticCount: SYNTHETIC_DATASET_SIZE, seed: input.seed ?? 42 });
  const settings = resolveSettings(input, dataset.samples.length);
  const endpoints = await preflight(parseEndpoints(settings.endpoints, settings.apiType), {
    sourceIps: settings.sourceIps,
    insecure: settings.insecure,
    caFile: settings.caFile,
  });
  const plan = planConnections(
    settings,
    endpoints,
    readHostLimits(settings.sourceIps.length > 0 && bindNoPortAvailable()),
  );
  if (settings.dryRun) {
    io.out.write(formatPlan(settings, endpoints, plan));
    return { exitCode: ExitCode.ok, summary: null, reportDir: null };
  }
  const plans = splitIntoShards({
    settings,
    endpoints,
    samples: dataset.samples,
    shards: plan.shards,
    perShardPerEndpoint: plan.perShardPerEndpoint,
  });
  const shards = plan.shards;
  const warmup = plan.warmupPerShardPerEndpoint;

  const secrets = collectSecrets(
    settings.apiKey,
    endpoints.map((e) => e.basicAuthorization),
  );
  const reportDir = settings.reportDir ?? defaultReportDir();
  await ensureReportDir(reportDir);
  const endpointNames = endpoints.map((e) => e.displayUrl);
  await writeConfigYaml(reportDir, { ...settingsForDisplay(settings, endpointNames), dataset: dataset.source });

  const progress = new ProgressDisplay(
    {
      total: Number.isFinite(settings.numSamples) ? settings.numSamples : null,
      durationMs: Number.isFinite(settings.duration) ? settings.duration : null,
    },
    io.err,
  );
  const run = new BenchmarkRun(
    plans,
    {
      onWarm: (connections, ms) => {
        if (connections > 0) io.err.write(`warmup: ${connections} connections open in ${(ms / 1000).toFixed(2)} s\n`);
      },
      onStart: () => progress.start(),
      onRecords: (batch) => {
        // A server may echo the key or credentials in an error body: scrub the batch's strings
        // (error messages among them) before anything is stored; the run keeps this same batch.
        const strings = batch.strings;
        for (let i = 1; i < strings.length; i++) strings[i] = redact(strings[i], secrets);
      },
      onProgress: (p) => progress.update(p),
    },
    warmup,
  );
  io.err.write(
    `llm-loadgen: ${settings.mode} ${settings.loadPattern} run against ${endpointNames.join(', ')} ` +
      `(model ${settings.model}, ${settings.streaming ? 'streaming' : 'non-streaming'}, ${shards} shard${shards === 1 ? '' : 's'}, ` +
      `up to ${plan.maxConnections} connections)\n`,
  );

  if (plan.shardNote !== null) io.err.write(`note: ${plan.shardNote}\n`);

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
  let outcome;
  try {
    outcome = await run.run();
  } finally {
    progress.stop();
    if (onSigint !== null) {
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGTERM', onSigint);
    }
  }
  // Large runs take a while to write out (~1 µs per token chunk): say so rather than go quiet.
  if (outcome.records.count >= 100_000) io.err.write(`writing ${outcome.records.count} records and the summary…\n`);
  await writeRecordsJsonl(path.join(reportDir, REPORT_FILES.records), outcome.records, outcome.startNs, endpointNames);

  const shardCpuNs = outcome.shards.every((sh) => sh !== null)
    ? outcome.shards.reduce((sum, sh) => sum + (sh!.cpuUserUs + sh!.cpuSystemUs) * 1000, 0)
    : undefined;
  const summary = buildResultSummary({
    records: outcome.records,
    state: outcome.state,
    startNs: outcome.startNs,
    endNs: outcome.endNs,
    mode: settings.mode,
    loadPattern: settings.loadPattern,
    portExhaustionEvents: outcome.shards.reduce((sum, sh) => sum + (sh?.portExhaustionEvents ?? 0), 0),
    clientCpuNs: shardCpuNs === undefined ? undefined : shardCpuNs + outcome.mainCpuNs,
  });
  const text = formatReportText(summary, {
    model: settings.model,
    endpoints: endpointNames,
    mode: settings.mode,
    loadPattern: settings.loadPattern,
    streaming: settings.streaming,
    reportDir,
  });
  await writeSummaryFiles(reportDir, summary, text);
  io.out.write(text.endsWith('\n') ? text : text + '\n');
  if (summary.client_cpu_ns !== null && summary.n_samples_issued > 0) {
    io.err.write(
      `client CPU during the run: ${(summary.client_cpu_ns / 1e9).toFixed(2)} s (${shards} shard(s) ${((shardCpuNs ?? 0) / 1e9).toFixed(2)} s, main process ${(outcome.mainCpuNs / 1e9).toFixed(2)} s), ` +
        `${(summary.client_cpu_ns / summary.n_samples_issued / 1000).toFixed(1)} µs per request\n`,
    );
  }
  io.err.write(`report written to ${reportDir}/\n`);

  let exitCode: number = ExitCode.ok;
  if (outcome.state === 'interrupted') exitCode = ExitCode.interrupted;
  else if (outcome.state === 'failed') {
    io.err.write(`error [run_failed]: ${redact(outcome.failure ?? 'the run failed', secrets)}\n`);
    exitCode = ExitCode.runFailed;
  } else if (summary.n_samples_issued > 0 && summary.n_samples_completed === 0) {
    const err = new RunFailedError(
      'all_requests_failed',
      `all ${summary.n_samples_issued} requests failed; see the errors in ${reportDir}/${REPORT_FILES.text}`,
    );
    io.err.write(`error [${err.code}]: ${err.message}\n`);
    exitCode = ExitCode.runFailed;
  }
  return { exitCode, summary, reportDir };
}
