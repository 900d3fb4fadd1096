/**
 * A host's part of a multi-host run, as the run sees it: which host it is, the share of the load
 * it plans its connections for, and the start it waits for (--start-at, --start-barrier).
 */
import type { BenchmarkSettings } from '../config/benchmark-settings.js';
import { BadInputError, ErrorCode } from '../errors.js';
import { shareOf } from '../shard/shard-plan.js';
import { shardCount } from '../run/shard-split.js';
import type { LoadedDataset } from '../dataset/load-dataset.js';
import type { ResolvedEndpoint } from '../shard/shard-plan.js';
import { toolVersion } from '../store/run-store.js';
import { hostName, hostSourceAddresses } from './host-addresses.js';
import { resolveHostShard, type HostShard } from './host-shard.js';
import { runFingerprint, type RunFingerprint } from './run-fingerprint.js';
import { barrierStartMs, parseStartAt, waitUntilWallMs, wallNowMs } from './start-gate.js';

/** A host that cannot reach the barrier's other hosts in this long fails (they never started). */
export const BARRIER_TIMEOUT_MS = 10 * 60_000;
/** How close before the agreed instant the main process releases the shards (they start 20 ms later). */
const RELEASE_EARLY_MS = 20;

export interface HostPart {
  host: HostShard | null;
  /** --start-at, ms since the epoch (null: none). */
  startAtMs: number | null;
  startBarrier: string | null;
  /** What run this host was given (set once the run is planned: hostRunIdentity()). */
  fingerprint: RunFingerprint | null;
  /** Where this host's connections go, and from which bound addresses (--source-ips). */
  targets: { endpoints: Pick<ResolvedEndpoint, 'address' | 'port'>[]; sourceIps: string[] };
  /** Learnt while waiting for the start: the source addresses and the clock against the barrier volume's. */
  observed: {
    sourceAddresses: string[];
    clockOffsetMs: number | null;
    clockErrorMs: number | null;
    refusal: BadInputError | null;
  };
}

/** The summary's `host` block: who this host was and how close to the agreed start it began. */
export interface HostStartSummary {
  index: number;
  count: number;
  source: HostShard['source'];
  /** The agreed start, ms since the epoch (null when none was given). */
  told_start_ms: number | null;
  /** How late this host actually started the clock against the agreed start, ms. */
  start_lateness_ms: number | null;
  /** The clock's start (records' time 0) on the wall clock, ns since the epoch: merge aligns hosts by it. */
  start_wall_ns: number;
  /** Wall clock minus the monotonic clock at the start, ns: maps this host's record times onto wall time. */
  wall_clock_offset_ns: number;
  /** The machine: its hostname, and the source addresses its connections left from (distributed/host-addresses.ts). */
  hostname: string;
  source_addresses: string[];
  /**
   * --start-barrier: the barrier volume's clock minus this host's, ms (null without a barrier).
   * Hosts whose offsets differ have clocks that disagree by that much: the merge warns.
   */
  clock_offset_ms: number | null;
  /** How far off clock_offset_ms may be (half the time the ready file's write took), ms. */
  clock_offset_error_ms: number | null;
  /** The run this host was given: the merge refuses hosts that were given different ones. */
  fingerprint: RunFingerprint | null;
}

/** Reads --shard/--shards (or the orchestrator's environment) and --start-at; exit 2 on nonsense. */
export function hostPart(s: BenchmarkSettings, env: NodeJS.ProcessEnv = process.env): HostPart {
  let host: HostShard | null;
  let startAtMs: number | null = null;
  try {
    host = resolveHostShard(s.shard, s.shards, env);
  } catch (err) {
    throw new BadInputError(ErrorCode.invalidFlag, `--shard: ${(err as Error).message}`);
  }
  if (s.startAt !== undefined) {
    try {
      startAtMs = parseStartAt(s.startAt);
    } catch (err) {
      throw new BadInputError(ErrorCode.invalidFlag, `--start-at: ${(err as Error).message}`);
    }
  }
  if (s.startBarrier !== undefined && host === null)
    throw new BadInputError(ErrorCode.invalidFlag, '--start-barrier: only for a run split over hosts (--shard i/N)');
  if (s.startBarrier !== undefined && startAtMs !== null)
    throw new BadInputError(ErrorCode.invalidFlag, '--start-barrier and --start-at both set the start: give one');
  return {
    host,
    startAtMs,
    startBarrier: s.startBarrier ?? null,
    fingerprint: null,
    targets: { endpoints: [], sourceIps: [...s.sourceIps] },
    observed: { sourceAddresses: [], clockOffsetMs: null, clockErrorMs: null, refusal: null },
  };
}

/** Once the run is planned: what this host was given and where it connects to (for the `host` block and the barrier). */
export function hostRunIdentity(
  part: HostPart,
  s: BenchmarkSettings,
  shardsPerHost: number,
  dataset: Pick<LoadedDataset, 'samples' | 'source' | 'rows'>,
  endpoints: readonly ResolvedEndpoint[],
): void {
  if (part.host === null) return;
  part.fingerprint = runFingerprint(
    s,
    part.host.count,
    shardsPerHost,
    dataset,
    toolVersion(),
    endpoints.map((e) => e.displayUrl),
  );
  part.targets.endpoints = endpoints.map((e) => ({ address: e.address, port: e.port }));
}

/**
 * The settings this host plans its connections for: its share of the concurrency, rate and count.
 * Its shard count comes from the smallest host's share, so every host runs the same number of
 * shards (host h runs global shards h, h+H, …): `--concurrency 3` over 2 hosts with `--workers 2`
 * gave host 0 two shards and host 1 one, a split no single host would make.
 */
export function hostShareSettings(s: BenchmarkSettings, host: HostShard | null): BenchmarkSettings {
  if (host === null) return s;
  const least = (total: number) => Math.max(1, Math.floor(total / host.count));
  const smallest = {
    ...s,
    concurrency: s.concurrency === undefined ? undefined : least(s.concurrency),
    numSamples: Number.isFinite(s.numSamples) ? least(s.numSamples) : s.numSamples,
  };
  return {
    ...s,
    workers: shardCount(smallest),
    concurrency: s.concurrency === undefined ? undefined : Math.max(1, shareOf(s.concurrency, host.count, host.index)),
    targetQps: s.targetQps === undefined ? undefined : s.targetQps / host.count,
    numSamples: Math.max(1, shareOf(s.numSamples, host.count, host.index)),
  };
}

/** Waits for the agreed start; returns the agreed instant (null when there is none). */
export async function waitForHostStart(part: HostPart): Promise<number | null> {
  let at = part.startAtMs;
  if (part.host !== null)
    part.observed.sourceAddresses = await hostSourceAddresses(part.targets.endpoints, part.targets.sourceIps);
  if (part.startBarrier !== null && part.host !== null) {
    const gate = await barrierStartMs(
      part.startBarrier,
      part.host,
      BARRIER_TIMEOUT_MS,
      part.fingerprint ?? undefined,
    ).catch((err: unknown) => {
      // Host 0 refused the run (the hosts disagree): the run fails, and exits 2 naming what differs.
      if (err instanceof BadInputError) part.observed.refusal = err;
      throw err;
    });
    at = gate.atMs;
    part.observed.clockOffsetMs = gate.clockOffsetMs;
    part.observed.clockErrorMs = gate.clockErrorMs;
  }
  if (at === null) return null;
  if (at < wallNowMs() - 1000)
    process.stderr.write(`warning: the agreed start ${new Date(at).toISOString()} is already past: starting now\n`);
  await waitUntilWallMs(at - RELEASE_EARLY_MS);
  return at;
}

/** The summary's `host` block (undefined for a one-host run). */
export function hostStartSummary(
  part: HostPart,
  toldStartMs: number | null,
  startWallNs: number,
  startNs: number,
): HostStartSummary | undefined {
  if (part.host === null) return undefined;
  return {
    index: part.host.index,
    count: part.host.count,
    source: part.host.source,
    told_start_ms: toldStartMs,
    start_lateness_ms: toldStartMs === null ? null : startWallNs / 1e6 - toldStartMs,
    start_wall_ns: startWallNs,
    wall_clock_offset_ns: startWallNs - startNs,
    hostname: hostName(),
    source_addresses: part.observed.sourceAddresses,
    clock_offset_ms: part.observed.clockOffsetMs,
    clock_offset_error_ms: part.observed.clockErrorMs,
    fingerprint: part.fingerprint,
  };
}
