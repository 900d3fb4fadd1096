/** The connection plan in words: what `--dry-run` prints and every run logs in brief. */
import type { BenchmarkSettings } from '../config/benchmark-settings.js';
import type { ResolvedEndpoint } from '../shard/shard-plan.js';
import type { ConnectionPlan } from './connection-plan.js';

export function formatPlan(s: BenchmarkSettings, endpoints: ResolvedEndpoint[], plan: ConnectionPlan): string {
  const load =
    s.loadPattern === 'poisson' || s.loadPattern === 'constant'
      ? `${s.loadPattern === 'poisson' && s.burstiness !== 1 ? `gamma (burstiness ${s.burstiness})` : s.loadPattern} at ${s.targetQps} req/s (${((s.targetQps ?? 0) / plan.shards).toFixed(3)} per shard)${s.rampUp > 0 ? `, ramped up over ${s.rampUp / 1000} s` : ''}`
      : s.loadPattern === 'trace'
        ? `trace ${s.trace}${s.timeScale !== 1 ? ` at time scale ${s.timeScale}` : ''}`
        : s.loadPattern === 'concurrency'
          ? `concurrency ${s.concurrency} (${Math.floor((s.concurrency ?? 0) / plan.shards)}–${Math.ceil((s.concurrency ?? 0) / plan.shards)} per shard)`
          : `offline, ${s.numSamples} requests at once`;
  const bound = Number.isFinite(s.numSamples) ? `${s.numSamples} requests` : '';
  const time = Number.isFinite(s.duration) ? `${s.duration / 1000} s` : '';
  const lines = [
    `plan: ${s.mode} ${load}; ${[bound, time].filter((x) => x !== '').join(', ') || 'until done'}`,
    `  endpoints:        ${endpoints.map((e) => `${e.displayUrl} (${e.address}:${e.port})`).join(', ')}`,
    `  destinations:     ${plan.destinations} distinct ip:port`,
    `  source IPs:       ${s.sourceIps.length === 0 ? 'OS choice' : `${s.sourceIps.join(', ')} (${plan.limits.bindNoPort ? 'IP_BIND_ADDRESS_NO_PORT' : 'plain bind: native addon not built'})`}`,
    `  port range:       ${plan.limits.portRangeSize} ports`,
    `  budget:           ${plan.budget.explanation}`,
    `  max connections:  ${plan.maxConnections}${s.maxConnections === -1 ? ' (auto)' : ''}${plan.plannedConnections !== null ? `; the load holds ${plan.plannedConnections}` : ''}`,
    `  open-files limit: ${plan.limits.openFilesLimit} per process (≤ ${plan.perShardSocketLimit} sockets per shard)`,
    `  shards:           ${plan.shards} process(es), ≤ ${plan.perShardPerEndpoint} connections per endpoint each${plan.shardNote !== null ? ` — ${plan.shardNote}` : ''}`,
    `  warmup:           ${plan.warmupPerShardPerEndpoint * plan.shards * endpoints.length} connections before the clock starts (${plan.warmupPerShardPerEndpoint} per shard per endpoint)`,
  ];
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}
