import type { ShardSummary } from '../shard/shard-plan.js';
import type { ShardHealthInput } from './client-health.js';
/**
 * result_summary.json's `run_config`, as MLPerf Endpoints builds it (commands/benchmark/
 * pipeline.py `_build_report_from_snapshot`): settings.load_pattern and settings.warmup of the
 * resolved config tree, plus the scheduler and dataloader seeds. Endpoints and the API key are
 * siblings of settings and never included, so it holds no secret.
 */
export function runConfigOf(tree: Record<string, unknown>): Record<string, unknown> {
  const settings = asObject(tree.settings);
  const runtime = asObject(settings.runtime);
  return {
    load_pattern: asObject(settings.load_pattern),
    warmup: asObject(settings.warmup),
    scheduler_random_seed: runtime.scheduler_random_seed ?? null,
    dataloader_random_seed: runtime.dataloader_random_seed ?? null,
  };
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The wall-clock time (ns since the Unix epoch) of a monotonic-clock instant that has passed. */
export function wallClockNsAt(monotonicInstantNs: number, nowMonotonicNs: number, nowEpochMs = Date.now()): number {
  return Math.round(nowEpochMs * 1e6 - (nowMonotonicNs - monotonicInstantNs));
}

/** Connections the server closed or asked to close, over the shards that reported (undefined: none did). */
export function serverClosedConnectionsOf(shards: readonly (ShardSummary | null)[]): number | undefined {
  let total: number | undefined;
  for (const s of shards) if (s !== null) total = (total ?? 0) + s.serverCloses + s.staleCloses + s.closeRequested;
  return total;
}

/** Per shard CPU and event-loop delay from the shards' summaries (a shard that died has none). */
export function shardHealthOf(shards: readonly (ShardSummary | null)[]): ShardHealthInput[] {
  const out: ShardHealthInput[] = [];
  shards.forEach((s, shard) => {
    if (s !== null)
      out.push({ shard, cpuNs: (s.cpuUserUs + s.cpuSystemUs) * 1000, eventLoopDelay: s.eventLoopDelay ?? null });
  });
  return out;
}
