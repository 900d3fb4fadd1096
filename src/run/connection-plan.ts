/**
 * How many connections the run may open and how many it opens before the clock starts, from
 * the settings and the host's connection budget.
 */
import type { BenchmarkSettings } from '../config/benchmark-settings.js';
import { FD_MARGIN, connectionBudget, readOpenFilesLimit, readPortRangeSize, type Budget } from '../config/port-budget.js';
import { BadInputError } from '../errors.js';
import type { ResolvedEndpoint } from '../shard/shard-plan.js';
import { destinationKey } from './preflight.js';

export interface ConnectionPlan {
  budget: Budget;
  /** Total connections for the run. */
  maxConnections: number;
  /** Sockets one shard process may hold (open-files limit minus a margin). */
  perShardSocketLimit: number;
  openFilesLimit: number;
}

export function planConnections(s: BenchmarkSettings, endpoints: ResolvedEndpoint[], shards: number): ConnectionPlan {
  const destinations = new Set(endpoints.map(destinationKey)).size;
  const budget = connectionBudget({ portRangeSize: readPortRangeSize(), destinations, sourceIps: 0 });
  const openFilesLimit = readOpenFilesLimit();
  const perShardSocketLimit = Math.max(1, openFilesLimit - FD_MARGIN);
  let maxConnections: number;
  if (s.maxConnections === -1) {
    maxConnections = Math.min(budget.connections, perShardSocketLimit * shards);
  } else {
    if (s.maxConnections > budget.connections) {
      throw new BadInputError(
        'max_connections_over_budget',
        `--max-connections ${s.maxConnections} is more than this host can open to these endpoints: ${budget.explanation}. ` +
          'Lower it, add endpoints, or widen net.ipv4.ip_local_port_range.',
      );
    }
    maxConnections = s.maxConnections;
  }
  return { budget, maxConnections, perShardSocketLimit, openFilesLimit };
}

/**
 * Warmup connections per shard per endpoint for `--warmup-connections -1`: what the load will
 * hold at once — the concurrency, the offline count, or one second of Poisson arrivals.
 */
export function warmupPerShardPerEndpoint(s: BenchmarkSettings, shards: number, endpoints: number, perShardPerEndpointMax: number): number {
  if (s.warmupConnections === 0) return 0;
  let want: number;
  if (s.warmupConnections > 0) want = s.warmupConnections / (shards * endpoints);
  else if (s.loadPattern === 'concurrency') want = (s.concurrency ?? 0) / (shards * endpoints);
  else if (s.loadPattern === 'offline') want = s.numSamples / (shards * endpoints);
  else want = (s.targetQps ?? 0) / (shards * endpoints);
  return Math.min(perShardPerEndpointMax, Math.ceil(want));
}
