/**
 * The warmup phase (--warmup, --warmup-requests, --warmup-duration): before the measured run, the
 * same shards' plans with the same load pattern run once more, bounded by the warmup's count and
 * duration. It is a run of its own — its records are counted and dropped, never in the measured
 * figures — and the measured run starts after it has drained. With --warmup-salt every warmup
 * request gets its own salted copy of its row (a duration-bounded warmup salts each row once).
 */
import type { BenchmarkSettings } from '../config/benchmark-settings.js';
import { ErrorCode, RunFailedError } from '../errors.js';
import { saltSample } from '../dataset/salt-prompt.js';
import type { ShardPlan } from '../shard/shard-plan.js';
import { BenchmarkRun } from './benchmark-run.js';
import { shareOf } from './shard-split.js';

export interface WarmupSettings {
  requests: number;
  durationMs: number;
  salt: boolean;
}

/** The warmup a run asked for, or null. `enabled: false` wins; a count or duration turns it on. */
export function warmupSettings(
  s: Pick<BenchmarkSettings, 'warmupEnabled' | 'warmupRequests' | 'warmupDuration' | 'warmupSalt'>,
  datasetRows: number,
): WarmupSettings | null {
  const asked = s.warmupEnabled ?? (s.warmupRequests !== undefined || s.warmupDuration !== undefined);
  if (!asked) return null;
  // MLPerf Endpoints: n_requests None = the dataset once.
  const requests = s.warmupRequests ?? (s.warmupDuration !== undefined ? Infinity : datasetRows);
  return { requests, durationMs: s.warmupDuration ?? Infinity, salt: s.warmupSalt };
}

/** What the summary says about the warmup. */
export interface WarmupSummary {
  requests: number;
  completed: number;
  failed: number;
  duration_s: number;
  salted: boolean;
  /** Ctrl-C during the warmup (the measured run is then not started). */
  interrupted?: boolean;
}

export function warmupPlans(plans: readonly ShardPlan[], w: WarmupSettings): ShardPlan[] {
  const n = plans.length;
  return plans.map((plan, i) => {
    const maxRequests = shareOf(w.requests, n, i);
    const bounds = {
      maxRequests,
      durationNs: w.durationMs * 1e6,
      // A warmup bounded by time drains briefly: its answers are not measured.
      drainTimeoutMs: Number.isFinite(w.durationMs) ? Math.min(plan.drainTimeoutMs ?? Infinity, 10_000) : Infinity,
    };
    // A dataset the shards read: they salt each of their rows once as they read them.
    if (plan.datasetSource !== undefined)
      return { ...plan, ...bounds, datasetSource: { ...plan.datasetSource, salt: w.salt } };
    let samples = plan.samples;
    if (w.salt) {
      // One salted copy per request when the count is known, else one per row.
      const count = Number.isFinite(maxRequests) ? Math.max(1, maxRequests) : samples.length;
      const rows = samples;
      samples = Array.from({ length: count }, (_, k) => saltSample(rows[k % rows.length]));
    }
    // Salted copies in a new order: their rows are not the plan's (warmup records are not kept).
    return { ...plan, ...bounds, samples, samplesPartitioned: true, sampleRows: undefined };
  });
}

/** Run the warmup; resolves with its counts once every shard has ended (null: no warmup asked for). */
export async function runWarmup(
  plans: readonly ShardPlan[],
  w: WarmupSettings | null,
  warmupConnections: number,
  err: Pick<NodeJS.WritableStream, 'write'>,
  /** Told the warmup's run, so Ctrl-C can interrupt it. */
  onRun: (run: BenchmarkRun) => void,
): Promise<WarmupSummary | null> {
  if (w === null) return null;
  const bound = [
    Number.isFinite(w.requests) ? `${w.requests} requests` : null,
    Number.isFinite(w.durationMs) ? `${w.durationMs / 1000} s` : null,
  ]
    .filter((x) => x !== null)
    .join(' or ');
  err.write(`warmup: ${bound}${w.salt ? ', salted prompts' : ''} (not measured)\n`);
  const t0 = performance.now();
  const run = new BenchmarkRun(warmupPlans(plans, w), {}, warmupConnections);
  onRun(run);
  const outcome = await run.run();
  let completed = 0;
  let failed = 0;
  for (const sh of outcome.shards) {
    completed += sh?.completed ?? 0;
    failed += sh?.failed ?? 0;
  }
  const summary: WarmupSummary = {
    requests: completed + failed,
    completed,
    failed,
    duration_s: Math.round(performance.now() - t0) / 1000,
    salted: w.salt,
  };
  err.write(
    `warmup: ${summary.requests} requests (${failed} failed) in ${summary.duration_s.toFixed(2)} s; ` +
      'not in the figures below\n',
  );
  if (outcome.state === 'failed') {
    throw new RunFailedError(
      outcome.endpointDown === true ? ErrorCode.endpointDown : ErrorCode.runFailed,
      `the warmup failed: ${outcome.failure ?? 'a shard stopped'}`,
    );
  }
  return outcome.state === 'interrupted' ? { ...summary, interrupted: true } : summary;
}
