/**
 * `llm-loadgen merge DIR…`: the hosts of one run (each a report directory with
 * performance/result_summary.json and records.jsonl) become one run. Every host's record times are
 * moved onto the wall clock with its own offset (the `host` block of its summary), so the union is
 * one timeline; the summary is then computed from the union exactly as for one host, plus a table
 * of the hosts: each one's requests, rate, errors, how late it started, and its client health.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import { BadInputError, ErrorCode } from '../errors.js';
import { buildResultSummary, type ResultSummary } from '../metrics/result-summary.js';
import type { RequestErrorCode, RequestRecord, TokenCountSource } from '../record/request-record.js';
import { REPORT_FILES } from '../report/report-files.js';
import type { HostStartSummary } from './host-start.js';

/** Hosts whose starts differ by more than this are named in a warning (their clocks disagree, or one was late). */
export const START_SKEW_WARNING_MS = 50;

interface HostSummary {
  n_samples_issued: number;
  n_samples_completed: number;
  n_samples_failed: number;
  duration_ns: number;
  qps: number;
  host?: HostStartSummary;
  warnings?: string[];
}

export interface MergedHost {
  dir: string;
  index: number;
  requests: number;
  failed: number;
  qps: number;
  start_lateness_ms: number | null;
  warnings: string[];
}

export interface MergedRun {
  summary: ResultSummary & { hosts: MergedHost[] };
  endpoints: string[];
  records: RequestRecord[];
  startNs: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

function recordFromLine(o: Record<string, unknown>, baseNs: number, endpoint: number): RequestRecord {
  const at = (key: string) => baseNs + num(o[key]);
  const chunks = Array.isArray(o.chunk_times_ns) ? (o.chunk_times_ns as number[]) : [];
  return {
    id: num(o.id),
    sampleIndex: num(o.sample_index),
    shard: num(o.shard),
    endpoint,
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
}

async function readHost(dir: string): Promise<{ summary: HostSummary; host: HostStartSummary }> {
  const file = path.join(dir, REPORT_FILES.summary);
  let summary: HostSummary;
  try {
    summary = JSON.parse(await readFile(file, 'utf8')) as HostSummary;
  } catch (err) {
    throw new BadInputError(
      ErrorCode.invalidFlag,
      `merge: ${file}: ${(err as Error).message}. Give the report directories of the hosts of one run.`,
    );
  }
  if (summary.host === undefined)
    throw new BadInputError(
      ErrorCode.invalidFlag,
      `merge: ${dir} is not a host of a multi-host run (its summary has no host block: run it with --shard i/N)`,
    );
  return { summary, host: summary.host };
}

export async function mergeRuns(dirs: readonly string[]): Promise<MergedRun> {
  const hosts = await Promise.all(dirs.map(readHost));
  const count = hosts[0].host.count;
  const seen = new Map<number, string>();
  for (const [i, h] of hosts.entries()) {
    if (h.host.count !== count)
      throw new BadInputError(
        ErrorCode.invalidFlag,
        `merge: ${dirs[i]} is host ${h.host.index} of ${h.host.count}, the others of ${count}`,
      );
    const twin = seen.get(h.host.index);
    if (twin !== undefined)
      throw new BadInputError(ErrorCode.invalidFlag, `merge: ${twin} and ${dirs[i]} are both host ${h.host.index}`);
    seen.set(h.host.index, dirs[i]);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  // The run's zero: the earliest host start on the wall clock.
  const starts = hosts.map((h) => h.host.start_wall_ns);
  const records: RequestRecord[] = [];
  const endpoints: string[] = [];
  const endpointIndex = new Map<string, number>();
  let startNs = Infinity;
  let endNs = -Infinity;
  for (const [i, dir] of dirs.entries()) {
    // Times in records.jsonl are relative to the host's start; its start on the wall clock is:
    const hostStartWallNs = starts[i];
    const file = path.join(dir, REPORT_FILES.records);
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line === '') continue;
        const o = JSON.parse(line) as Record<string, unknown>;
        const name = String(o.endpoint);
        let e = endpointIndex.get(name);
        if (e === undefined) {
          e = endpoints.length;
          endpoints.push(name);
          endpointIndex.set(name, e);
        }
        const r = recordFromLine(o, hostStartWallNs, e);
        records.push(r);
        if (r.end > endNs) endNs = r.end;
      }
    } catch (err) {
      throw new BadInputError(
        ErrorCode.invalidFlag,
        `merge: ${file}: ${(err as Error).message}. Each host must write records.jsonl (--records jsonl; a --shard run does by default).`,
      );
    }
    startNs = Math.min(startNs, hostStartWallNs);
  }
  const lateness = hosts.map((h) => h.host.start_lateness_ms).filter((x): x is number => x !== null);
  const summary = buildResultSummary({
    records,
    state: missing.length === 0 ? 'complete' : 'incomplete',
    startNs,
    endNs: Number.isFinite(endNs) ? endNs : startNs,
    mode: 'online',
    shards: count,
    testStartedAtNs: startNs,
  }) as ResultSummary & { hosts: MergedHost[] };
  summary.hosts = hosts
    .map((h, i) => ({
      dir: dirs[i],
      index: h.host.index,
      requests: h.summary.n_samples_issued,
      failed: h.summary.n_samples_failed,
      qps: h.summary.qps,
      start_lateness_ms: h.host.start_lateness_ms,
      warnings: h.summary.warnings ?? [],
    }))
    .sort((a, b) => a.index - b.index);
  if (missing.length > 0)
    summary.warnings.push(
      `hosts ${missing.join(', ')} of ${count} are missing: this is part of the run, not all of it`,
    );
  const skew = Math.max(...starts) / 1e6 - Math.min(...starts) / 1e6;
  if (skew > START_SKEW_WARNING_MS)
    summary.warnings.push(
      `the hosts started ${skew.toFixed(0)} ms apart (start lateness ${lateness.map((x) => x.toFixed(1)).join(', ')} ms): ` +
        'their clocks disagree or a host was late; give them --start-at or --start-barrier and keep their clocks in sync (NTP/PTP)',
    );
  return { summary, endpoints, records, startNs };
}

/** The per-host table for report.txt. */
export function formatHostTable(hosts: readonly MergedHost[]): string {
  const lines = ['', 'Hosts', '  host  requests  failed       qps  start late (ms)  dir'];
  for (const h of hosts)
    lines.push(
      `  ${String(h.index).padStart(4)}  ${String(h.requests).padStart(8)}  ${String(h.failed).padStart(6)}  ${h.qps.toFixed(2).padStart(8)}  ` +
        `${h.start_lateness_ms === null ? '—'.padStart(15) : h.start_lateness_ms.toFixed(1).padStart(15)}  ${h.dir}`,
    );
  for (const h of hosts) for (const w of h.warnings) lines.push(`  host ${h.index}: ${w}`);
  return lines.join('\n') + '\n';
}
