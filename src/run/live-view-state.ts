/**
 * The live view's state, whatever shows it (a redrawn line, plain lines, JSON events): the run's
 * phase, how far it is and when it should end, and the last 10 seconds (live-view-window.ts).
 */
import type { ShardProgress } from '../shard/shard-plan.js';
import { LiveWindow, type WindowStats } from './live-view-window.js';

export type LivePhase = 'connecting' | 'warmup' | 'running' | 'draining' | 'done';

export interface LivePlan {
  /** Requests planned (null when bounded by duration only). */
  total: number | null;
  /** Planned duration in ms (null when bounded by count only). */
  durationMs: number | null;
  /** Longest wait for in-flight requests after the duration, ms (null or Infinity: no bound). */
  drainTimeoutMs?: number | null;
  /** --target-qps of a poisson run. */
  targetQps?: number | null;
  /** --concurrency of a concurrency run. */
  concurrency?: number | null;
}

export interface LiveSnapshot {
  phase: LivePhase;
  /** Since the live view began (connecting included), s. */
  sinceBeginS: number;
  /** Since the common start of the schedule, s (0 before it). */
  elapsedS: number;
  /** 0–1 by count or by time, whichever is further; null when neither bounds the run. */
  fraction: number | null;
  /** Seconds to the planned end (the drain's bound while draining); null when unknown. */
  etaS: number | null;
  totals: ShardProgress;
  window: WindowStats;
  plan: LivePlan;
}

const ZERO: ShardProgress = {
  issued: 0,
  completed: 0,
  failed: 0,
  inFlight: 0,
  portExhaustionEvents: 0,
  openConnections: 0,
  retries: 0,
};

export class LiveState {
  private phaseNow: LivePhase = 'connecting';
  private readonly beginMs: number;
  private startMs: number | null = null;
  private window: LiveWindow | null = null;
  private last: ShardProgress = ZERO;

  constructor(
    readonly plan: LivePlan,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.beginMs = now();
  }

  warm(): void {
    if (this.phaseNow === 'connecting') this.phaseNow = 'warmup';
  }

  start(): void {
    this.startMs = this.now();
    this.window = new LiveWindow(this.startMs);
    this.phaseNow = 'running';
  }

  update(p: ShardProgress, liveTtft?: readonly number[]): void {
    this.last = p;
    this.window?.observe(this.now(), p, liveTtft);
  }

  finish(): void {
    this.phaseNow = 'done';
  }

  get hasStarted(): boolean {
    return this.startMs !== null;
  }

  get latest(): ShardProgress {
    return this.last;
  }

  /** ms since the schedule's start (0 before it). */
  elapsedMs(): number {
    return this.startMs === null ? 0 : this.now() - this.startMs;
  }

  phase(): LivePhase {
    if (this.phaseNow !== 'running') return this.phaseNow;
    const p = this.last;
    const { durationMs, total } = this.plan;
    const sendingOver =
      (durationMs !== null && this.elapsedMs() >= durationMs) || (total !== null && p.issued >= total);
    return sendingOver && p.inFlight > 0 ? 'draining' : 'running';
  }

  snapshot(): LiveSnapshot {
    const nowMs = this.now();
    const elapsedMs = this.elapsedMs();
    const p = this.last;
    const finished = p.completed + p.failed;
    const { total, durationMs } = this.plan;
    const window = this.window?.stats(nowMs) ?? {
      windowS: 0,
      issuedPerS: 0,
      finishedPerS: 0,
      errors: 0,
      ttftP50Ms: null,
      ttftP99Ms: null,
      ttftCount: 0,
    };
    const byCount = total !== null && total > 0 ? finished / total : null;
    const byTime = durationMs !== null && durationMs > 0 ? elapsedMs / durationMs : null;
    const phase = this.phase();
    let fraction = byCount === null && byTime === null ? null : Math.min(1, Math.max(byCount ?? 0, byTime ?? 0));
    if (phase === 'done') fraction = fraction === null ? null : 1;
    let etaS: number | null = null;
    if (phase === 'draining') {
      const drain = this.plan.drainTimeoutMs;
      if (durationMs !== null && drain !== null && drain !== undefined && Number.isFinite(drain))
        etaS = Math.max(0, (durationMs + drain - elapsedMs) / 1000);
    } else if (phase === 'running') {
      const timeLeft = durationMs !== null ? Math.max(0, (durationMs - elapsedMs) / 1000) : null;
      const countLeft =
        total !== null && window.finishedPerS > 0 ? Math.max(0, total - finished) / window.finishedPerS : null;
      etaS = timeLeft !== null && countLeft !== null ? Math.min(timeLeft, countLeft) : (timeLeft ?? countLeft);
    } else if (phase === 'done') etaS = 0;
    return {
      phase,
      sinceBeginS: (nowMs - this.beginMs) / 1000,
      elapsedS: elapsedMs / 1000,
      fraction,
      etaS,
      totals: p,
      window,
      plan: this.plan,
    };
  }
}
