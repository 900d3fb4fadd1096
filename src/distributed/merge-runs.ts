/**
 * `llm-loadgen merge DIR|DB…`: the hosts of one run become one run. A host is a report directory
 * (performance/result_summary.json and records.jsonl) or a run in a results database
 * (stored-host-runs.ts). Every host's record times are moved onto one timeline with its own start
 * on the wall clock (the `host` block of its summary): times are kept relative to the earliest
 * host's start, so they stay exact in a double (wall-clock ns since 1970 are ~1.8e18, past 2^53,
 * where a double's step is 256 ns). The summary is then computed from the union exactly as for one
 * host, plus a table of the hosts: each one's machine and source addresses, requests, rate,
 * errors, start, clock and client health. Hosts that were given different runs are refused.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BadInputError, ErrorCode } from '../errors.js';
import type { ClientHealth, ShardHealthInput } from '../metrics/client-health.js';
import { buildResultSummary, type ResultSummary } from '../metrics/result-summary.js';
import type { RequestErrorCode, RequestRecord, TokenCountSource } from '../record/request-record.js';
import { escapeHtml } from '../report/html/html-escape.js';
import { REPORT_FILES } from '../report/report-files.js';
import type { LoadPatternName } from '../schedule/schedule.js';
import type { HostStartSummary } from './host-start.js';
import { compareFingerprints, type RunFingerprint } from './run-fingerprint.js';
import { StoredHostDb } from './stored-host-runs.js';

/** Hosts whose starts differ by more than this are named in a warning (their clocks disagree, or one was late). */
export const START_SKEW_WARNING_MS = 50;
/** Hosts whose clocks, measured at the start barrier against the shared volume's, differ by more than this. */
export const CLOCK_SKEW_WARNING_MS = 50;

/** What the merge needs of a host's summary. */
interface HostSummary {
  n_samples_issued: number;
  n_samples_completed: number;
  n_samples_failed: number;
  duration_ns: number;
  qps: number;
  errors?: Record<string, { count: number }>;
  client_health?: ClientHealth;
  client_cpu_ns?: number | null;
  port_exhaustion_events?: number;
  run_config?: Record<string, unknown> | null;
  host?: HostStartSummary;
  warnings?: string[];
}

/** One row of the host table. */
export interface MergedHost {
  /** The report directory, or `FILE#RUN-ID` of a results database. */
  source: string;
  index: number;
  hostname: string | null;
  /** The addresses its connections left from (its `host` block, and its records' bound source IPs). */
  source_addresses: string[];
  requests: number;
  completed: number;
  failed: number;
  /** Failed requests by code. */
  errors: Record<string, number>;
  qps: number;
  start_lateness_ms: number | null;
  clock_offset_ms: number | null;
  /** How far off clock_offset_ms may be, ms. */
  clock_offset_error_ms: number | null;
  /** The busiest shard's CPU ÷ run duration (1 = a core). */
  shard_cpu_share_max: number | null;
  event_loop_delay_p99_ns: number | null;
  schedule_lag_p99_ns: number | null;
  client_wait_p99_ns: number | null;
  warnings: string[];
}

export interface MergedRun {
  summary: ResultSummary & { hosts: MergedHost[] };
  endpoints: string[];
  records: RequestRecord[];
  /** The records' zero (the earliest host's start): 0. */
  startNs: number;
  /** Host 0's fingerprint: the run the hosts were given (null from hosts of an older llm-loadgen). */
  fingerprint: RunFingerprint | null;
  /** Every host's config.yaml, each under a `# host i: SOURCE` line ('' when no host kept one). */
  configYaml: string;
}

/** A host as read: its summary, and a way to stream its records with times relative to its start. */
interface HostInput {
  source: string;
  summary: HostSummary;
  host: HostStartSummary;
  endpoints: string[] | null;
  /** Its config.yaml (report directory) or runs.config_yaml (results database); null when absent. */
  configYaml: string | null;
  /** Calls `add` with every record, times relative to the host's start, endpoint by name. */
  read(add: (r: RequestRecord, endpoint: string) => void): Promise<void>;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

function recordFromLine(o: Record<string, unknown>, baseNs: number): RequestRecord {
  const at = (key: string) => baseNs + num(o[key]);
  const chunks = Array.isArray(o.chunk_times_ns) ? (o.chunk_times_ns as number[]) : [];
  const r: RequestRecord = {
    id: num(o.id),
    sampleIndex: num(o.sample_index),
    shard: num(o.shard),
    endpoint: 0,
    sourceIp: typeof o.source_ip === 'string' ? o.source_ip : '',
    streaming: o.streaming === true,
    reused: o.reused_connection === true,
    scheduled: at('scheduled_ns'),
    dispatched: at('dispatched_ns'),
    connectStart: at('connect_start_ns'),
    connected: at('connected_ns'),
    sent: at('sent_ns'),
    headers: at('headers_ns'),
    firstChunk: at('first_chunk_ns'),
    firstToken: at('first_token_ns'),
    end: at('end_ns'),
    chunkTimes: Float64Array.from(chunks, (t) => baseNs + t),
    status: num(o.status),
    error: (typeof o.error === 'string' ? o.error : '') as RequestErrorCode | '',
    errorMessage: typeof o.error_message === 'string' ? o.error_message : '',
    finishReason: typeof o.finish_reason === 'string' ? o.finish_reason : '',
    inputTokens: typeof o.input_tokens === 'number' ? o.input_tokens : -1,
    outputTokens: typeof o.output_tokens === 'number' ? o.output_tokens : 0,
    cachedTokens: typeof o.cached_tokens === 'number' ? o.cached_tokens : -1,
    retries: num(o.retries),
    tokenSource: (typeof o.token_source === 'string' ? o.token_source : 'none') as TokenCountSource,
  };
  if (typeof o.turn === 'number' && o.turn > 0) {
    r.conversation = num(o.conversation);
    r.turn = o.turn;
  }
  return r;
}

function notAHost(source: string): BadInputError {
  return new BadInputError(
    ErrorCode.invalidFlag,
    `merge: ${source} is not a host of a multi-host run (its summary has no host block: run it with --shard i/N)`,
  );
}

async function dirHost(dir: string): Promise<HostInput> {
  const file = path.join(dir, REPORT_FILES.summary);
  let summary: HostSummary;
  try {
    summary = JSON.parse(await readFile(file, 'utf8')) as HostSummary;
  } catch (err) {
    throw new BadInputError(
      ErrorCode.invalidFlag,
      `merge: ${file}: ${(err as Error).message}. Give the report directories (or results databases) of the hosts of one run.`,
    );
  }
  if (summary.host === undefined) throw notAHost(dir);
  const configYaml = await readFile(path.join(dir, REPORT_FILES.config), 'utf8').catch(() => null);
  return {
    source: dir,
    summary,
    host: summary.host,
    endpoints: null,
    configYaml,
    async read(add) {
      const records = path.join(dir, REPORT_FILES.records);
      const lines = createInterface({ input: createReadStream(records, 'utf8'), crlfDelay: Infinity });
      try {
        for await (const line of lines) {
          if (line === '') continue;
          const o = JSON.parse(line) as Record<string, unknown>;
          add(recordFromLine(o, 0), String(o.endpoint));
        }
      } catch (err) {
        throw new BadInputError(
          ErrorCode.invalidFlag,
          `merge: ${records}: ${(err as Error).message}. Each host must write records.jsonl (--records jsonl; a --shard run does by default), or give its results database instead.`,
        );
      }
    },
  };
}

/** Hosts from results databases; every --run id must be found in one of them. */
async function dbHosts(
  files: readonly string[],
  runIds: readonly string[],
  opened: StoredHostDb[],
): Promise<HostInput[]> {
  const out: HostInput[] = [];
  const matched = new Set<string>();
  for (const file of files) {
    const db = await StoredHostDb.open(file);
    opened.push(db);
    const found = await db.hostRuns(runIds);
    for (const id of found.matched) matched.add(id);
    for (const run of found.runs) {
      const summary = run.summary as unknown as HostSummary;
      if (summary.host === undefined) throw notAHost(run.label);
      out.push({
        source: run.label,
        summary,
        host: summary.host,
        endpoints: run.endpoints,
        configYaml: run.configYaml,
        async read(add) {
          for await (const records of db.records(run.seq)) {
            for (const r of records) {
              const name = run.endpoints[r.endpoint] ?? String(r.endpoint);
              shift(r, -run.startNs);
              add(r, name);
            }
          }
        },
      });
    }
  }
  const unknown = runIds.filter((id) => !matched.has(id));
  if (unknown.length > 0)
    throw new BadInputError(
      ErrorCode.runNotFound,
      `merge: --run ${unknown.join(', ')}: in none of ${files.join(', ')} (\`llm-loadgen runs --results-db FILE\` lists a database's runs)`,
    );
  return out;
}

/** Moves every time of a record by `byNs` (in place; NaN stays NaN). */
function shift(r: RequestRecord, byNs: number): void {
  r.scheduled += byNs;
  r.dispatched += byNs;
  r.connectStart += byNs;
  r.connected += byNs;
  r.sent += byNs;
  r.headers += byNs;
  r.firstChunk += byNs;
  r.firstToken += byNs;
  r.end += byNs;
  const c = r.chunkTimes;
  for (let i = 0; i < c.length; i++) c[i] += byNs;
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    throw new BadInputError(ErrorCode.invalidFlag, `merge: ${p}: no such directory or file`);
  }
}

export interface MergeOptions {
  /** --run: the runs to take from the results databases (default: each one's latest --shard run). */
  runIds?: readonly string[];
}

function maxOrNull(values: readonly (number | null | undefined)[]): number | null {
  const known = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return known.length === 0 ? null : Math.max(...known);
}

export async function mergeRuns(sources: readonly string[], options: MergeOptions = {}): Promise<MergedRun> {
  const kinds = await Promise.all(sources.map(isDirectory));
  const dirs = sources.filter((_, i) => kinds[i]);
  const files = sources.filter((_, i) => !kinds[i]);
  const runIds = options.runIds ?? [];
  if (runIds.length > 0 && files.length === 0)
    throw new BadInputError(ErrorCode.invalidFlag, 'merge: --run picks runs in results databases: give their files');
  const opened: StoredHostDb[] = [];
  try {
    const hosts = [...(await Promise.all(dirs.map(dirHost))), ...(await dbHosts(files, runIds, opened))];
    return await mergeHosts(hosts);
  } finally {
    for (const db of opened) db.close();
  }
}

/** The hosts' config.yaml files, in host order, each headed by which host it is (they differ in --shard). */
function hostConfigs(hosts: readonly HostInput[]): string {
  if (hosts.every((h) => h.configYaml === null)) return '';
  return hosts
    .map((h) => `# host ${h.host.index}: ${h.source}\n${h.configYaml ?? '# (no config.yaml kept)\n'}`)
    .join('\n');
}

async function mergeHosts(hosts: HostInput[]): Promise<MergedRun> {
  const count = hosts[0].host.count;
  const seen = new Map<number, string>();
  for (const h of hosts) {
    if (h.host.count !== count)
      throw new BadInputError(
        ErrorCode.hostsDisagree,
        `merge: ${h.source} is host ${h.host.index} of ${h.host.count}, ${hosts[0].source} of ${count}: they are not hosts of one run`,
      );
    const twin = seen.get(h.host.index);
    if (twin !== undefined)
      throw new BadInputError(ErrorCode.invalidFlag, `merge: ${twin} and ${h.source} are both host ${h.host.index}`);
    seen.set(h.host.index, h.source);
  }
  const differences = compareFingerprints(
    hosts.map((h) => ({ index: h.host.index, fingerprint: h.host.fingerprint ?? undefined })),
  );
  if (differences.refuse.length > 0)
    throw new BadInputError(
      ErrorCode.hostsDisagree,
      `merge: the hosts were not given the same run, so their records are not one run's: ${differences.refuse.join('; ')}`,
    );
  hosts.sort((a, b) => a.host.index - b.host.index);
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  // The run's zero: the earliest host start on the wall clock. Each host's records are moved by
  // how much later than that it started (a small number, exact in a double).
  const zeroWallNs = Math.min(...hosts.map((h) => h.host.start_wall_ns));
  const records: RequestRecord[] = [];
  const endpoints: string[] = [];
  const endpointIndex = new Map<string, number>();
  const shardHealth: ShardHealthInput[] = [];
  const rows: MergedHost[] = [];
  let endNs = -Infinity;
  let cpuNs = 0;
  let cpuKnown = true;
  let exhaustion = 0;
  for (const h of hosts) {
    const baseNs = h.host.start_wall_ns - zeroWallNs;
    const bound = new Set<string>();
    for (const name of h.endpoints ?? [])
      if (!endpointIndex.has(name)) endpointIndex.set(name, endpoints.push(name) - 1);
    await h.read((r, name) => {
      let e = endpointIndex.get(name);
      if (e === undefined) {
        e = endpoints.push(name) - 1;
        endpointIndex.set(name, e);
      }
      r.endpoint = e;
      if (baseNs !== 0) shift(r, baseNs);
      if (r.sourceIp !== '') bound.add(r.sourceIp);
      records.push(r);
      if (r.end > endNs) endNs = r.end;
    });
    const s = h.summary;
    const health = s.client_health;
    const n = h.host.count;
    // Shard s of this host is shard index + N·s of the run (run/shard-split.ts).
    for (const sh of health?.shards ?? [])
      shardHealth.push({
        shard: h.host.index + n * sh.shard,
        cpuNs: sh.cpu_share * s.duration_ns,
        eventLoopDelay:
          sh.event_loop_delay_p99_ns === null
            ? null
            : {
                p50Ns: sh.event_loop_delay_p50_ns ?? NaN,
                p99Ns: sh.event_loop_delay_p99_ns,
                maxNs: sh.event_loop_delay_max_ns ?? NaN,
                meanNs: NaN,
              },
      });
    if (typeof s.client_cpu_ns === 'number') cpuNs += s.client_cpu_ns;
    else cpuKnown = false;
    exhaustion += s.port_exhaustion_events ?? 0;
    rows.push({
      source: h.source,
      index: h.host.index,
      hostname: h.host.hostname ?? null,
      source_addresses: [...new Set([...(h.host.source_addresses ?? []), ...bound])].sort(),
      requests: s.n_samples_issued,
      completed: s.n_samples_completed,
      failed: s.n_samples_failed,
      errors: Object.fromEntries(Object.entries(s.errors ?? {}).map(([code, e]) => [code, e.count])),
      qps: s.qps,
      start_lateness_ms: h.host.start_lateness_ms,
      clock_offset_ms: h.host.clock_offset_ms ?? null,
      clock_offset_error_ms: h.host.clock_offset_error_ms ?? null,
      shard_cpu_share_max: maxOrNull((health?.shards ?? []).map((x) => x.cpu_share)),
      event_loop_delay_p99_ns: maxOrNull((health?.shards ?? []).map((x) => x.event_loop_delay_p99_ns)),
      schedule_lag_p99_ns: health?.schedule_lag_p99_ns ?? null,
      client_wait_p99_ns: health?.client_wait_p99_ns ?? null,
      warnings: s.warnings ?? [],
    });
  }
  const fingerprint = hosts[0].host.fingerprint ?? null;
  const loadPattern = fingerprint?.load_pattern as LoadPatternName | undefined;
  const summary = buildResultSummary({
    records,
    state: missing.length === 0 ? 'complete' : 'incomplete',
    startNs: 0,
    endNs: Number.isFinite(endNs) ? endNs : 0,
    mode: loadPattern === 'offline' ? 'offline' : 'online',
    loadPattern: loadPattern === 'offline' ? undefined : loadPattern,
    offeredQps: fingerprint?.target_qps ?? undefined,
    shards: count * (fingerprint?.shards_per_host ?? 1),
    clientCpuNs: cpuKnown ? cpuNs : undefined,
    portExhaustionEvents: exhaustion,
    shardHealth,
    runConfig: hosts[0].summary.run_config ?? undefined,
    testStartedAtNs: zeroWallNs,
  }) as ResultSummary & { hosts: MergedHost[] };
  summary.hosts = rows;
  summary.warnings.push(...hostWarnings(rows, count, missing));
  for (const w of differences.warn) summary.warnings.push(`the hosts differ: ${w}`);
  return { summary, endpoints, records, startNs: 0, fingerprint, configYaml: hostConfigs(hosts) };
}

/** Missing hosts, hosts that started apart or late, and clocks that disagree. */
export function hostWarnings(rows: readonly MergedHost[], count: number, missing: readonly number[]): string[] {
  const out: string[] = [];
  if (missing.length > 0)
    out.push(`hosts ${missing.join(', ')} of ${count} are missing: this is part of the run, not all of it`);
  const late = rows.filter(
    (h) => h.start_lateness_ms !== null && Math.abs(h.start_lateness_ms) > START_SKEW_WARNING_MS,
  );
  if (late.length > 0)
    out.push(
      `host${late.length > 1 ? 's' : ''} ${late.map((h) => `${h.index} (${h.start_lateness_ms!.toFixed(0)} ms)`).join(', ')} ` +
        `started more than ${START_SKEW_WARNING_MS} ms from the agreed start by their own clocks: their load was not the run's at the start; ` +
        'give the hosts more time before the start (--start-at further ahead) or find what held them up',
    );
  const clocks = rows.filter((h) => h.clock_offset_ms !== null);
  if (clocks.length > 1) {
    // The spread beyond what the measurements' own error allows (a slow write widens it).
    const hi = clocks.reduce((a, b) => (b.clock_offset_ms! > a.clock_offset_ms! ? b : a));
    const lo = clocks.reduce((a, b) => (b.clock_offset_ms! < a.clock_offset_ms! ? b : a));
    const spread = hi.clock_offset_ms! - lo.clock_offset_ms!;
    const error = (hi.clock_offset_error_ms ?? 0) + (lo.clock_offset_error_ms ?? 0);
    if (spread - error > CLOCK_SKEW_WARNING_MS)
      out.push(
        `the hosts' clocks disagree by ${spread.toFixed(0)} ± ${error.toFixed(0)} ms (measured at the start barrier against the shared volume's clock: ` +
          `${clocks.map((h) => `host ${h.index} ${h.clock_offset_ms!.toFixed(0)} ms`).join(', ')}): ` +
          'they started that far apart in fact and their records are misaligned by as much; sync their clocks (NTP/PTP)',
      );
  }
  return out;
}

const msOf = (ns: number | null): string => (ns === null ? '—' : (ns / 1e6).toFixed(2));

/** The per-host table for report.txt and the console. */
export function formatHostTable(hosts: readonly MergedHost[]): string {
  const lines = [
    '',
    'Hosts',
    '  host  hostname          source address   requests  failed      qps  start late ms  clock ms  cpu max  loop p99 ms  lag p99 ms  wait p99 ms',
  ];
  const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
  const fixed = (v: number | null, d: number) => (v === null ? '—' : v.toFixed(d));
  for (const h of hosts)
    lines.push(
      `  ${String(h.index).padStart(4)}  ${pad(h.hostname ?? '—', 16)}  ${pad(h.source_addresses.join(',') || '—', 15)}  ` +
        `${String(h.requests).padStart(8)}  ${String(h.failed).padStart(6)}  ${h.qps.toFixed(2).padStart(7)}  ` +
        `${fixed(h.start_lateness_ms, 1).padStart(13)}  ${fixed(h.clock_offset_ms, 1).padStart(8)}  ` +
        `${(h.shard_cpu_share_max === null ? '—' : `${(h.shard_cpu_share_max * 100).toFixed(0)} %`).padStart(7)}  ` +
        `${msOf(h.event_loop_delay_p99_ns).padStart(11)}  ${msOf(h.schedule_lag_p99_ns).padStart(10)}  ${msOf(h.client_wait_p99_ns).padStart(11)}`,
    );
  for (const h of hosts) {
    lines.push(`  host ${h.index}: ${h.source}`);
    const errors = Object.entries(h.errors);
    if (errors.length > 0) lines.push(`  host ${h.index} errors: ${errors.map(([c, n]) => `${c} ${n}`).join(', ')}`);
    for (const w of h.warnings) lines.push(`  host ${h.index} warning: ${w}`);
  }
  return lines.join('\n') + '\n';
}

/** The per-host table for report.html (inserted above the latency table). */
export function hostTableHtml(hosts: readonly MergedHost[]): string {
  const cell = (v: string) => `<td>${escapeHtml(v)}</td>`;
  const fixed = (v: number | null, d: number) => (v === null ? '—' : v.toFixed(d));
  const head = [
    'host',
    'hostname',
    'source addresses',
    'requests',
    'failed',
    'errors',
    'req/s',
    'start late (ms)',
    'clock (ms)',
    'busiest shard CPU',
    'event-loop delay p99 (ms)',
    'schedule lag p99 (ms)',
    'client wait p99 (ms)',
    'warnings',
  ];
  const rows = hosts.map(
    (h) =>
      '<tr>' +
      [
        String(h.index),
        h.hostname ?? '—',
        h.source_addresses.join(', ') || '—',
        String(h.requests),
        String(h.failed),
        Object.entries(h.errors)
          .map(([c, n]) => `${c} ${n}`)
          .join(', ') || '—',
        h.qps.toFixed(2),
        fixed(h.start_lateness_ms, 1),
        fixed(h.clock_offset_ms, 1),
        h.shard_cpu_share_max === null ? '—' : `${(h.shard_cpu_share_max * 100).toFixed(0)} %`,
        msOf(h.event_loop_delay_p99_ns),
        msOf(h.schedule_lag_p99_ns),
        msOf(h.client_wait_p99_ns),
        h.warnings.join(' ') || '—',
      ]
        .map(cell)
        .join('') +
      '</tr>',
  );
  return (
    `<h2>Hosts</h2><table class="hosts"><thead><tr>${head.map((x) => `<th>${escapeHtml(x)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}
