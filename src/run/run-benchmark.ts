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
import { isSecretHeader, parseExtraHeaders, secretHeaderValues, type ExtraHeader } from '../api/extra-headers.js';
import { bindNoPortAvailable } from '../client/bound-socket.js';
import {
  performanceDataset,
  samplingParams,
  resolveSettings,
  type BenchmarkSettings,
  type BenchmarkSettingsInput,
} from '../config/benchmark-settings.js';
import { formatSettingsYaml, settingsTree } from '../config/settings-yaml.js';
import { checkSourceIps } from '../config/source-ips.js';
import { datasetNotes } from '../dataset/dataset-notes.js';
import { loadDataset, samplesByRow, type LoadedDataset } from '../dataset/load-dataset.js';
import { SHARD_READ_BYTES, withShardSource } from '../dataset/shard-dataset.js';
import { attachConversations, loadConversationDataset } from '../conversation/conversation-plan.js';
import { formatConversationReport, summarizeConversations } from '../conversation/conversation-summary.js';
import { ErrorCode, ExitCode, RunFailedError, formatError } from '../errors.js';
import type { ResultSummary } from '../metrics/result-summary.js';
import { runConfigOf, serverClosedConnectionsOf, shardHealthOf, wallClockNsAt } from '../metrics/run-config.js';
import { sloFailure } from '../metrics/slo-text.js';
import { monotonicNs } from '../record/clock.js';
import { collectSecrets, redact, secretBodyValues } from '../record/redact-secrets.js';
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
import {
  countRunPrompts,
  loadTokenizerChoice,
  openPromptCounter,
  type PromptCounting,
} from '../tokenize/run-tokenizer.js';
import { applyOutputFields, buildSyntheticWorkload, type SyntheticWorkload } from '../tokenize/synthetic-workload.js';
import { isSyntheticPath } from '../dataset/synthetic-spec.js';
import { RunStore, writeSummaryCsv } from '../store/run-store.js';
import { itlMethodNote } from '../store/store-summary.js';
import { BenchmarkRun, summarizeShards, type RunOutcome } from './benchmark-run.js';
import { planConnections, readHostLimits, type ConnectionPlan } from './connection-plan.js';
import { formatPlan } from './plan-text.js';
import { preflight, resolveEndpoint } from './preflight.js';
import { readArrivalTrace, traceOffsetsNs } from '../schedule/arrival-trace.js';
import { traceSamples } from '../schedule/trace-prompts.js';
import { jsonLine, reportEvent } from './live-view-json.js';
import { LiveView, liveViewMode, noticeStream } from './live-view.js';
import { runRepeats } from './run-repeats.js';
import { runWarmup, warmupSettings } from './warmup-phase.js';
import { lowerMainPriority, type MainPriority } from './main-priority.js';
import { withWorkload } from './workload-summary.js';
import { drainTimeoutMs, splitIntoShards } from './shard-split.js';
import {
  hostPart,
  hostShareSettings,
  hostRunIdentity,
  hostStartSummary,
  waitForHostStart,
  type HostPart,
  type HostStartSummary,
} from '../distributed/host-start.js';
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
  /** A sweep step: a failed run SLO is the sweep's verdict on the step (exit 99 kept, no error line). */
  sloFailureIsVerdict?: boolean;
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
  /** --shard i/N and the agreed start (host null: a one-host run). */
  part: HostPart;
  endpoints: ResolvedEndpoint[];
  endpointNames: string[];
  connections: ConnectionPlan;
  shardPlans: ShardPlan[];
  /** Every secret of the run (API key, URL credentials, secret --header values). */
  secrets: string[];
  /** null for --dry-run (nothing is written). */
  reportDir: string | null;
  /** Said on the console before the run: the dataset's prompt column, skipped rows (dataset/dataset-notes.ts). */
  notes: string[];
  /** Rows of the dataset (a warmup without a count sends it once), and bad rows skipped (--skip-bad-rows). */
  datasetRows: number;
  skippedRows: number;
  /** The accuracy datasets, loaded and checked (empty for --mode perf). */
  accuracy: AccuracyDataset[];
  /** --tokenizer: counts prompts after the run (null without one, and for --dry-run). */
  promptCounting: PromptCounting | null;
  /** `--dataset synthetic:input=…` (null for other datasets). */
  synthetic: SyntheticWorkload | null;
  /** The run in the results database (null for --dry-run). */
  store: RunStore | null;
}

export async function runBenchmark(input: BenchmarkSettingsInput, io: BenchmarkIo): Promise<BenchmarkResult> {
  if ((input.repeats ?? 1) > 1 && input.dryRun !== true) return runRepeats(input, io, runBenchmark);
  const plan = await planRun(input, io.err);
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
    if (result.exitCode !== ExitCode.ok) {
      plan.store?.close();
      return result;
    }
  }
  return plan.accuracy.length > 0 ? finishWithAccuracy(plan, result, io) : result;
}

export async function planRun(
  input: BenchmarkSettingsInput,
  err: NodeJS.WritableStream = process.stderr,
): Promise<RunPlan> {
  // Flags first (exit 2 naming the flag), before reading what may be a large dataset.
  const early = resolveSettings(input, 1);
  const headers: ExtraHeader[] = parseExtraHeaders(early.headers);
  const spec = performanceDataset(early);
  const tokenizer = loadTokenizerChoice(early.tokenizer);
  const synthetic =
    spec !== undefined && isSyntheticPath(spec.path)
      ? buildSyntheticWorkload(spec.path, tokenizer, {
          seed: early.dataloaderRandomSeed,
          request: { apiType: early.apiType, model: early.model, extraBody: samplingParams(early) },
          force: early.forceOutputLength,
        })
      : null;
  // --trace: its send times; with lengths (Mooncake), its prompts too (schedule/arrival-trace.ts).
  const trace = early.loadPattern === 'trace' ? await readArrivalTrace(early.trace!) : null;
  const traceRows = trace?.hasLengths ? traceSamples(trace, early.dataloaderRandomSeed) : null;
  const dataset: LoadedDataset =
    traceRows !== null
      ? { samples: traceRows, source: early.trace!, rows: traceRows.length }
      : synthetic !== null
        ? { samples: synthetic.samples, source: 'synthetic', rows: synthetic.samples.length }
        : early.multiTurn
          ? await loadConversationDataset(spec?.path, {
              seed: early.dataloaderRandomSeed,
              format: spec?.format,
              limit: spec?.samples,
            })
          : await loadDataset(spec?.path, {
              syntheticCount: SYNTHETIC_DATASET_SIZE,
              seed: early.dataloaderRandomSeed,
              format: spec?.format,
              columns: spec?.parser,
              limit: spec?.samples,
              shuffle: true,
              skipBadRows: early.skipBadRows,
              shardReadBytes: SHARD_READ_BYTES,
            });
  const settings = resolveSettings(input, trace?.rows.length ?? dataset.rows);
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
  const part = hostPart(settings);
  const connections = planConnections(
    hostShareSettings(settings, part.host),
    endpoints,
    readHostLimits(settings.sourceIps.length > 0 && bindNoPortAvailable()),
  );
  hostRunIdentity(part, settings, connections.shards, dataset, endpoints);
  const split = splitIntoShards({
    settings,
    endpoints,
    samples: dataset.samples,
    rowOf: dataset.rowOf,
    shards: connections.shards,
    perShardPerEndpoint: connections.perShardPerEndpoint,
    headers,
    traceOffsetsNs: trace === null ? undefined : traceOffsetsNs(trace, settings.timeScale, settings.numSamples),
    host: part.host ?? undefined,
  });
  const shardPlans = withShardSource(split, dataset.shardSource);
  if (synthetic !== null) applyOutputFields(shardPlans, synthetic, settings.forceOutputLength);
  attachConversations(shardPlans, dataset, settings, input);
  const secrets = collectSecrets(
    settings.apiKey,
    endpoints.map((e) => e.basicAuthorization),
    [...secretHeaderValues(headers), ...secretBodyValues(settings.extraBody, isSecretHeader)],
  );
  const endpointNames = endpoints.map((e) => e.displayUrl);
  let reportDir: string | null = null;
  let promptCounting: PromptCounting | null = null;
  let store: RunStore | null = null;
  if (!settings.dryRun) {
    const counter = await openPromptCounter(tokenizer, endpoints, { model: settings.model, apiKey: settings.apiKey });
    if (counter !== null) promptCounting = { counter, samples: samplesByRow(dataset), request: shardPlans[0].request };
    // Created (or checked empty) and written to before any load: an unusable directory is exit 2 now.
    reportDir = await createReportDir(settings.reportDir, settings.overwrite);
    const configYaml = formatSettingsYaml(
      settingsTree(settings, { endpoints: endpointNames }),
      settings.apiKey !== undefined,
    );
    await writeConfigYaml(reportDir, configYaml);
    // The results database too (exit 2 when unusable), with the run's row in it.
    store = await RunStore.open({ settings, reportDir, endpointNames, configYaml, shards: connections.shards, err });
  }
  return {
    settings,
    endpoints,
    endpointNames,
    connections,
    shardPlans,
    secrets,
    reportDir,
    notes: datasetNotes(dataset),
    datasetRows: dataset.rows,
    skippedRows: dataset.skipped?.count ?? 0,
    accuracy,
    promptCounting,
    synthetic,
    store,
    part,
  };
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
  let toldStartMs: number | null = null;
  let startWallNs = 0;
  let hostStart: HostStartSummary | undefined;
  let lowered: MainPriority | null = null;
  const run = new BenchmarkRun(
    plan.shardPlans,
    {
      onWarm: (opened, ms) => {
        // The shards are forked: from here the main process's threads run below them (main-priority.ts).
        lowered = lowerMainPriority(settings.mainNice, undefined, settings.mainSched);
        progress.warm();
        if (opened > 0) progress.notice(`warmup: ${opened} connections open in ${(ms / 1000).toFixed(2)} s\n`);
      },
      beforeStart: async () => {
        toldStartMs = await waitForHostStart(plan.part);
      },
      onStart: (startNs) => {
        startWallNs = (performance.timeOrigin + performance.now()) * 1e6 + (startNs - monotonicNs());
        hostStart = hostStartSummary(plan.part, toldStartMs, startWallNs, startNs);
        plan.store?.markStarted(startNs);
        progress.start();
      },
      onProgress: (p, liveTtft) => progress.update(p, liveTtft),
    },
    connections.warmupPerShardPerEndpoint,
    { maxErrors: settings.maxErrors, maxErrorRate: settings.maxErrorRate, maxDurationMs: settings.maxDuration },
    plan.store?.sink,
  );
  notices.write(
    `llm-loadgen: ${describeRun(settings)} against ${plan.endpointNames.join(', ')} ` +
      `(model ${settings.model}, ${settings.streaming ? 'streaming' : 'non-streaming'}, ${shards} shard${shards === 1 ? '' : 's'}, ` +
      `up to ${connections.maxConnections} connections)\n`,
  );
  for (const n of plan.notes) notices.write(`${n}\n`);
  if (connections.shardNote !== null) notices.write(`note: ${connections.shardNote}\n`);
  if (plan.synthetic !== null) notices.write(`${plan.synthetic.sizing}\n`);
  if (plan.synthetic?.note != null) notices.write(`note: ${plan.synthetic.note}\n`);
  for (const w of connections.warnings) notices.write(`warning: ${w}\n`);
  progress.connecting();

  let onSigint: (() => void) | null = null;
  let warmupRun: BenchmarkRun | null = null;
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
      warmupRun?.interrupt();
      run.interrupt();
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
  }
  try {
    const warmup = await runWarmup(
      plan.shardPlans,
      warmupSettings(settings, plan.datasetRows),
      connections.warmupPerShardPerEndpoint,
      notices,
      (r) => (warmupRun = r),
    );
    return { ...(await run.run()), warmup, host: hostStart };
  } finally {
    // Every shard has exited: back to the original nice before anything forks the next ones.
    (lowered as MainPriority | null)?.restore();
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
  const store = plan.store!;
  // --tokenizer counts the prompts of the records read back from the store (or kept in memory when it failed).
  const tokenizerCounts =
    plan.promptCounting === null
      ? undefined
      : await countRunPrompts(plan.promptCounting, await store.chartRecords(), io.err);
  const measured = await store.summarize({
    state: outcome.state,
    startNs: outcome.startNs,
    endNs: outcome.endNs,
    mode: settings.mode,
    loadPattern: settings.loadPattern,
    offeredQps:
      settings.loadPattern === 'poisson' || settings.loadPattern === 'constant' ? settings.targetQps : undefined,
    portExhaustionEvents: shards.portExhaustionEvents,
    clientCpuNs: shards.cpuNs === undefined ? undefined : shards.cpuNs + outcome.mainCpuNs,
    shards: plan.connections.shards,
    testStartedAtNs: wallClockNsAt(outcome.startNs, monotonicNs()),
    runConfig: runConfigOf(settingsTree(settings, { endpoints: endpointNames })),
    slos: settings.slo,
    shardHealth: shardHealthOf(outcome.shards),
    serverClosedConnections: serverClosedConnectionsOf(outcome.shards),
    stopReason: outcome.stopReason ?? undefined,
    tokens: { tokenizer: tokenizerCounts, synthetic: plan.synthetic?.lengths },
  });
  const summary = withWorkload(measured, outcome.warmup ?? null, plan.skippedRows);
  if (outcome.host !== undefined) Object.assign(summary, { host: outcome.host });
  await store.finish(outcome.state, outcome.endNs, summary);
  const itlNote = itlMethodNote(summary);
  if (settings.multiTurn) summary.conversations = summarizeConversations(await store.chartRecords(), plan.shardPlans);
  const context = {
    model: settings.model,
    endpoints: endpointNames,
    mode: settings.mode,
    loadPattern: settings.loadPattern,
    streaming: settings.streaming,
    reportDir,
  };
  let text = formatReportText(summary, context) + (itlNote !== null ? `${itlNote}\n` : '');
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
  // A host of a multi-host run writes its records for `merge` whatever their number (unless --records none).
  const jsonl =
    store.wantsRecordsJsonl(outcome.records.count) || (plan.part.host !== null && settings.records !== 'none');
  if (jsonl && outcome.records.count >= 100_000) notices.write(`writing ${outcome.records.count} records…\n`);
  const files: [name: string, write: (file: string) => Promise<void>][] = [
    [REPORT_FILES.summary, (file) => writeTextAtomically(file, summaryJson(summary))],
    [REPORT_FILES.text, (file) => writeTextAtomically(file, text)],
    [REPORT_FILES.summaryCsv, () => writeSummaryCsv(reportDir, store.meta, summary)],
    [
      REPORT_FILES.html,
      async (file) =>
        writeRunReportHtml(file, {
          summary,
          context,
          records: await store.chartRecords(),
          startNs: outcome.startNs,
          endNs: outcome.endNs,
          seed: settings.schedulerRandomSeed,
          configYaml: await readFile(path.join(reportDir, REPORT_FILES.config), 'utf8'),
          shards: plan.connections.shards,
        }),
    ],
  ];
  if (jsonl) {
    files.push([
      REPORT_FILES.records,
      (file) => store.writeRecordsJsonl(file, outcome.startNs, endpointNames, tokenizerCounts),
    ]);
  }
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
  // The accuracy phase (accuracy-report.ts) stores its results in the run and closes the store.
  if (plan.accuracy.length === 0) store.close();
  if (store.storeError !== null) {
    // The summary and files above were made from memory: the run is only missing from the database.
    const err = new RunFailedError(
      ErrorCode.reportWriteFailed,
      `could not store run ${store.id} in the results database ${store.store.file} (${store.storeError}); ` +
        'the summary above is complete. Free space, or pass --results-db on a disk with room.',
    );
    // The first write error is printed below; a second one here.
    if (writeError !== null) io.err.write(formatError(err) + '\n');
    else writeError = err;
  }
  if (writeError === null) {
    notices.write(
      `report written to ${reportDir}/ (charts: ${path.join(reportDir, REPORT_FILES.html)}; run ${store.id} in ${store.store.file})\n`,
    );
  }

  let exitCode: number = ExitCode.ok;
  if (writeError !== null) {
    io.err.write(formatError(writeError) + '\n');
    exitCode = writeError.exitCode;
  } else if (outcome.state === 'interrupted') exitCode = ExitCode.interrupted;
  else if (plan.part.observed.refusal !== null) {
    // The hosts were given different runs (start barrier): bad input, exit 2 on every host.
    io.err.write(formatError(plan.part.observed.refusal) + '\n');
    exitCode = plan.part.observed.refusal.exitCode;
  } else if (outcome.state === 'failed') {
    const err = new RunFailedError(
      outcome.endpointDown === true
        ? ErrorCode.endpointDown
        : outcome.errorLimit === true
          ? ErrorCode.errorLimitReached
          : ErrorCode.runFailed,
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
  } else if (summary.slo !== null && !summary.slo.passed) {
    const err = sloFailure(summary.slo);
    if (io.sloFailureIsVerdict !== true) io.err.write(formatError(err) + '\n');
    exitCode = err.exitCode;
  }
  if (settings.json) io.out.write(jsonLine(reportEvent(summary, reportDir, exitCode)));
  return { exitCode, summary, reportDir };
}
