/**
 * The live progress line on stderr: done/total, in flight, request rate, errors. On a terminal
 * it redraws one line (cli-progress); otherwise (CI logs, pipes) it prints a line every few
 * seconds so long runs still show signs of life.
 */
import cliProgress from 'cli-progress';
import type { ShardProgress } from '../shard/shard-plan.js';

export interface ProgressPlan {
  /** Requests planned (null when bounded by duration only). */
  total: number | null;
  /** Planned duration in ms (null when bounded by count only). */
  durationMs: number | null;
  /** Longest wait for in-flight requests after the duration, ms (null or Infinity: no bound). */
  drainTimeoutMs?: number | null;
}

const PLAIN_INTERVAL_MS = 5000;

export class ProgressDisplay {
  private bar: cliProgress.SingleBar | null = null;
  private startMs = 0;
  private last: ShardProgress | null = null;
  private lastPlainMs = 0;
  private drainShown = false;

  constructor(
    private readonly plan: ProgressPlan,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  start(): void {
    this.startMs = performance.now();
    if (this.stream.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format: '{bar} {percentage}% | {done} done | {inflight} | {rate} req/s | {errors} errors | {elapsed}s',
          hideCursor: true,
          clearOnComplete: false,
          fps: 5,
          barsize: 24,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(1000, 0, this.payload(null));
    }
  }

  update(p: ShardProgress): void {
    this.last = p;
    if (this.bar !== null) {
      this.bar.update(Math.round(this.fraction(p) * 1000), this.payload(p));
      return;
    }
    const now = performance.now();
    // The drain's first line comes at once: the run has stopped sending and the user should know why it goes on.
    const drainStarts = !this.drainShown && this.drainText(p) !== null;
    if (drainStarts || now - this.lastPlainMs >= PLAIN_INTERVAL_MS) {
      this.drainShown ||= drainStarts;
      this.lastPlainMs = now;
      const pl = this.payload(p);
      this.stream.write(
        `progress: ${pl.done} done, ${pl.inflight}, ${pl.rate} req/s, ${pl.errors} errors, ${pl.elapsed}s\n`,
      );
    }
  }

  stop(): void {
    if (this.bar !== null) {
      if (this.last !== null) this.bar.update(Math.round(this.fraction(this.last) * 1000), this.payload(this.last));
      this.bar.stop();
      this.bar = null;
    }
  }

  private fraction(p: ShardProgress): number {
    const elapsedMs = performance.now() - this.startMs;
    const byCount = this.plan.total !== null ? (p.completed + p.failed) / this.plan.total : 0;
    const byTime = this.plan.durationMs !== null ? elapsedMs / this.plan.durationMs : 0;
    return Math.min(1, Math.max(byCount, byTime));
  }

  /**
   * "draining: N requests in flight, up to Ts" once a --duration run has stopped sending and waits
   * for what is in flight (at most --drain-timeout); null otherwise.
   */
  drainText(p: ShardProgress | null): string | null {
    const d = this.plan.durationMs;
    if (d === null || p === null || p.inFlight === 0) return null;
    const elapsedMs = performance.now() - this.startMs;
    if (elapsedMs < d) return null;
    const drain = this.plan.drainTimeoutMs;
    const bound =
      drain === null || drain === undefined || !Number.isFinite(drain)
        ? ''
        : `, up to ${Math.max(0, Math.ceil((d + drain - elapsedMs) / 1000))}s`;
    return `draining: ${p.inFlight} request${p.inFlight === 1 ? '' : 's'} in flight${bound}`;
  }

  private payload(p: ShardProgress | null): {
    done: string;
    inflight: string;
    rate: string;
    errors: number;
    elapsed: string;
  } {
    const elapsedS = (performance.now() - this.startMs) / 1000;
    const finished = p === null ? 0 : p.completed + p.failed;
    return {
      done: this.plan.total !== null ? `${finished}/${this.plan.total}` : String(finished),
      inflight: this.drainText(p) ?? `${p?.inFlight ?? 0} in flight`,
      rate: elapsedS > 0 ? (finished / elapsedS).toFixed(1) : '0.0',
      errors: p?.failed ?? 0,
      elapsed: elapsedS.toFixed(0),
    };
  }
}
