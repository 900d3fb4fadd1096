/**
 * The connection plan: how many connections the host can hold to these endpoints (the budget),
 * how many the run may open, how many shard processes that takes (a process holds at most
 * RLIMIT_NOFILE sockets), and how many are opened before the clock starts.
 */
import type { BenchmarkSettings } from '../config/benchmark-settings.js';
import {
  FD_MARGIN,
  connectionBudget,
  readOpenFilesLimit,
  readPortRangeSize,
  type Budget,
} from '../config/port-budget.js';
import { BadInputError, ErrorCode } from '../errors.js';
import type { ResolvedEndpoint } from '../shard/shard-plan.js';
import { destinationKey } from './preflight.js';
import { shardCount } from './shard-split.js';

export interface HostLimits {
  portRangeSize: number;
  openFilesLimit: number;
  /** The IP_BIND_ADDRESS_NO_PORT addon is loaded. */
  bindNoPort: boolean;
}

export function readHostLimits(bindNoPort: boolean): HostLimits {
  return { portRangeSize: readPortRangeSize(), openFilesLimit: readOpenFilesLimit(), bindNoPort };
}

export interface ConnectionPlan {
  budget: Budget;
  destinations: number;
  /** Total connections the run may open. */
  maxConnections: number;
  /** Connections the load itself will hold at once, when that is known (null for Poisson). */
  plannedConnections: number | null;
  shards: number;
  /** Why there are more shards than --workers, if so. */
  shardNote: string | null;
  /** Sockets one shard process may hold (open-files limit minus a margin). */
  perShardSocketLimit: number;
  /** Connections per shard per endpoint. */
  perShardPerEndpoint: number;
  /** Warmup connections per shard per endpoint. */
  warmupPerShardPerEndpoint: number;
  /** What the user should know before the run (--dry-run prints them; so does every run). */
  warnings: string[];
  limits: HostLimits;
}

/**
 * Connections the load pattern will hold at once, when that is known up front: never more than
 * there are requests (--concurrency 99999999999 --num-samples 5 holds 5, not 7,058 warm ones).
 */
function plannedConnections(s: BenchmarkSettings): number | null {
  if (s.loadPattern === 'concurrency') return Math.min(s.concurrency ?? 0, s.numSamples);
  if (s.loadPattern === 'offline') return s.numSamples;
  return null;
}

/** A --concurrency the connection limit cannot hold: the rest of the slots wait for a connection. */
function concurrencyWarnings(
  s: BenchmarkSettings,
  planned: number | null,
  maxConnections: number,
  budget: Budget,
): string[] {
  if (s.loadPattern !== 'concurrency' || planned === null || planned <= maxConnections) return [];
  const limit =
    s.maxConnections === -1 ? `the port budget (${budget.explanation})` : `--max-connections ${s.maxConnections}`;
  return [
    `--concurrency ${s.concurrency}${Number.isFinite(s.numSamples) ? ` with --num-samples ${s.numSamples}` : ''} ` +
      `wants ${planned} requests in flight, but the run can open at most ${maxConnections} connections: ${limit}. ` +
      `${planned - maxConnections} requests will wait for a connection at a time (counted as client wait). ` +
      'Lower --concurrency, or raise the budget: more --source-ips, more endpoints, or a wider net.ipv4.ip_local_port_range.',
  ];
}

export function planConnections(
  s: BenchmarkSettings,
  endpoints: ResolvedEndpoint[],
  limits: HostLimits,
): ConnectionPlan {
  const destinations = new Set(endpoints.map(destinationKey)).size;
  const budget = connectionBudget({
    portRangeSize: limits.portRangeSize,
    destinations,
    sourceIps: s.sourceIps.length,
    bindNoPort: limits.bindNoPort,
  });
  if (s.maxConnections > budget.connections) {
    throw new BadInputError(
      ErrorCode.maxConnectionsOverBudget,
      `--max-connections ${s.maxConnections} is more than this host can open to these endpoints: ${budget.explanation}. ` +
        'Lower it, or raise the budget: more --source-ips, more endpoints, or a wider net.ipv4.ip_local_port_range.',
    );
  }
  if (s.maxConnections !== -1 && s.maxConnections < endpoints.length) {
    throw new BadInputError(
      ErrorCode.maxConnectionsTooSmall,
      `--max-connections ${s.maxConnections} is fewer than the ${endpoints.length} endpoints: every endpoint needs at least one connection`,
    );
  }
  const perShardSocketLimit = Math.max(1, limits.openFilesLimit - FD_MARGIN);
  const ceiling = s.maxConnections === -1 ? budget.connections : s.maxConnections;
  const planned = plannedConnections(s);
  // Never more shards than the connection limit can give one connection per endpoint each.
  const base = Math.min(shardCount(s), Math.max(1, Math.floor(ceiling / endpoints.length)));
  const needed = Math.ceil(Math.min(planned ?? ceiling, ceiling) / perShardSocketLimit);
  const shards = Math.max(base, needed);
  const shardNote =
    needed > base
      ? `${shards} shard processes (not ${base}): ${Math.min(planned ?? ceiling, ceiling)} connections at most ${perShardSocketLimit} per process (open-files limit ${limits.openFilesLimit} − ${FD_MARGIN})`
      : null;
  // Rounded down, so shards × endpoints × this never exceeds the limit the user gave.
  const perShardPerEndpoint = Math.max(
    1,
    Math.min(Math.floor(ceiling / (endpoints.length * shards)), Math.floor(perShardSocketLimit / endpoints.length)),
  );
  const maxConnections = perShardPerEndpoint * endpoints.length * shards;
  return {
    budget,
    destinations,
    maxConnections,
    plannedConnections: planned,
    shards,
    shardNote,
    perShardSocketLimit,
    perShardPerEndpoint,
    warmupPerShardPerEndpoint: warmupPerShardPerEndpoint(
      s,
      shards,
      endpoints.length,
      perShardPerEndpoint,
      maxConnections,
    ),
    warnings: concurrencyWarnings(s, planned, maxConnections, budget),
    limits,
  };
}

/**
 * `--warmup-connections`: an explicit total, or for -1 (auto) what the load will hold at once —
 * every connection a concurrency run (at most the request count) or an offline run needs, since
 * those are all opened at the start anyway, better before the clock than inside it — and for
 * Poisson one second of arrivals (at most the request count), capped at 25 % of the limit. A
 * concurrency-100,000 run warmed only 25 % (28k of 113k) and opened the rest while 28k streams
 * were already flowing: at most 65k–78k were ever established at once (issue 14 item 18).
 */
export function warmupPerShardPerEndpoint(
  s: BenchmarkSettings,
  shards: number,
  endpoints: number,
  perShardPerEndpointMax: number,
  maxConnections: number,
): number {
  if (s.warmupConnections === 0) return 0;
  let total: number;
  if (s.warmupConnections > 0) total = s.warmupConnections;
  else {
    const planned = plannedConnections(s);
    total =
      planned !== null
        ? Math.min(planned, maxConnections)
        : Math.min(Math.ceil(s.targetQps ?? 0), s.numSamples, Math.ceil(0.25 * maxConnections));
  }
  return Math.min(perShardPerEndpointMax, Math.ceil(total / (shards * endpoints)));
}
