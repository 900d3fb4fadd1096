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
}

const PLAIN_INTERVAL_MS = 5000;

export class ProgressDisplay {
  private bar: cliProgress.SingleBar | null = null;
  private startMs = 0;
  private last: ShardProgress | null = null;
  private lastPlainMs = 0;

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
          format:
            '{bar} {percentage}% | {done} done | {inflight} in flight | {rate} req/s | {errors} errors | {elapsed}s',
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
    if (now - this.lastPlainMs >= PLAIN_INTERVAL_MS) {
      this.lastPlainMs = now;
      const pl = this.payload(p);
      this.stream.write(
        `progress: ${pl.done} done, ${pl.inflight} in flight, ${pl.rate} req/s, ${pl.errors} errors, ${pl.elapsed}s\n`,
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

  private payload(p: ShardProgress | null): {
    done: string;
    inflight: number;
    rate: string;
    errors: number;
    elapsed: string;
  } {
    const elapsedS = (performance.now() - this.startMs) / 1000;
    const finished = p === null ? 0 : p.completed + p.failed;
    return {
      done: this.plan.total !== null ? `${finished}/${this.plan.total}` : String(finished),
      inflight: p?.inFlight ?? 0,
      rate: elapsedS > 0 ? (finished / elapsedS).toFixed(1) : '0.0',
      errors: p?.failed ?? 0,
      elapsed: elapsedS.toFixed(0),
    };
  }
}
