/**
 * The live view for people, on stderr: phase, a progress bar with ETA, in flight, achieved vs
 * target rate, TTFT p50/p99 and errors over the last 10 s. On a terminal it redraws one line
 * (cli-progress); otherwise (CI logs, pipes) it prints a plain line every few seconds, so long
 * runs still show signs of life.
 */
import cliProgress from 'cli-progress';
import type { ShardProgress } from '../shard/shard-plan.js';
import { LIVE_WINDOW_S } from './live-view-window.js';
import { LiveState, type LivePlan, type LiveSnapshot } from './live-view-state.js';

export type ProgressPlan = LivePlan;

const PLAIN_INTERVAL_MS = 5000;

export class ProgressDisplay {
  /** A MultiBar of one: its log() writes notices above the line instead of through it. */
  private multi: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;
  private readonly state: LiveState;
  private lastPlainMs = -Infinity;
  private drainShown = false;

  constructor(
    plan: ProgressPlan,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    state?: LiveState,
  ) {
    this.state = state ?? new LiveState(plan);
  }

  /** Connections are being opened (before the clock starts): the bar shows the phase from here. */
  connecting(): void {
    this.ensureBar();
  }

  warm(): void {
    this.state.warm();
    this.redraw();
  }

  start(): void {
    if (!this.state.hasStarted) this.state.start();
    this.lastPlainMs = performance.now();
    this.ensureBar();
    this.redraw();
  }

  update(p: ShardProgress, liveTtft?: readonly number[]): void {
    this.state.update(p, liveTtft);
    if (this.bar !== null) {
      this.redraw();
      return;
    }
    const now = performance.now();
    // The drain's first line comes at once: the run has stopped sending and the user should know why it goes on.
    const drainStarts = !this.drainShown && this.drainText(p) !== null;
    if (drainStarts || now - this.lastPlainMs >= PLAIN_INTERVAL_MS) {
      this.drainShown ||= drainStarts;
      this.lastPlainMs = now;
      this.stream.write(plainLine(this.state.snapshot(), this.drainText(p)) + '\n');
    }
  }

  stop(): void {
    if (this.bar !== null) {
      this.redraw();
      this.multi!.stop();
      this.multi = null;
      this.bar = null;
    }
  }

  /** A line for the user while the live line may be drawn (the warmup line, Ctrl-C). */
  notice(text: string): void {
    if (this.multi !== null) this.multi.log(text.endsWith('\n') ? text : text + '\n');
    else this.stream.write(text);
  }

  /**
   * "draining: N requests in flight, up to Ts" once a --duration run has stopped sending and waits
   * for what is in flight (at most --drain-timeout); null otherwise.
   */
  drainText(p: ShardProgress | null): string | null {
    const plan = this.state.plan;
    const d = plan.durationMs;
    if (d === null || p === null || p.inFlight === 0) return null;
    const elapsedMs = this.state.elapsedMs();
    if (!this.state.hasStarted || elapsedMs < d) return null;
    const drain = plan.drainTimeoutMs;
    const bound =
      drain === null || drain === undefined || !Number.isFinite(drain)
        ? ''
        : `, up to ${Math.max(0, Math.ceil((d + drain - elapsedMs) / 1000))}s`;
    return `draining: ${p.inFlight} request${p.inFlight === 1 ? '' : 's'} in flight${bound}`;
  }

  private ensureBar(): void {
    if (this.bar !== null || !this.stream.isTTY) return;
    this.multi = new cliProgress.MultiBar(
      {
        stream: this.stream,
        format:
          '{phase} {bar} {pct} ETA {remaining} | {done} | {inflight} | {rate} | TTFT {ttft} | {errors} ({window})',
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
        barsize: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.multi.create(1000, 0, payload(this.state.snapshot(), null));
  }

  private redraw(): void {
    if (this.bar === null) return;
    const s = this.state.snapshot();
    this.bar.update(Math.round((s.fraction ?? 0) * 1000), payload(s, this.drainText(s.totals)));
  }
}

function formatEta(s: number | null): string {
  if (s === null) return '?';
  const whole = Math.ceil(s);
  if (whole < 60) return `${whole}s`;
  const m = Math.floor(whole / 60);
  return m < 60
    ? `${m}m${String(whole % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function ms(v: number | null): string {
  return v === null ? '-' : v < 10 ? v.toFixed(1) : v.toFixed(0);
}

/** The pieces of the line, as text. */
export function payload(
  s: LiveSnapshot,
  drain: string | null,
): {
  phase: string;
  pct: string;
  remaining: string;
  done: string;
  inflight: string;
  rate: string;
  ttft: string;
  errors: string;
  window: string;
} {
  const t = s.totals;
  const finished = t.completed + t.failed;
  const w = s.window;
  const rate =
    s.plan.targetQps !== null && s.plan.targetQps !== undefined
      ? `${w.issuedPerS.toFixed(1)}/${s.plan.targetQps} req/s sent`
      : `${w.finishedPerS.toFixed(1)} req/s` +
        (s.plan.concurrency !== null && s.plan.concurrency !== undefined ? ` (concurrency ${s.plan.concurrency})` : '');
  return {
    phase: s.phase.padEnd(10),
    pct: s.fraction === null ? '  ?%' : `${Math.floor(s.fraction * 100)}%`.padStart(4),
    // Not `eta`: cli-progress fills that token with its own estimate.
    remaining: formatEta(s.etaS),
    done: s.plan.total !== null ? `${finished}/${s.plan.total} done` : `${finished} done`,
    inflight: drain ?? `${t.inFlight} in flight`,
    rate,
    ttft: `p50 ${ms(w.ttftP50Ms)} p99 ${ms(w.ttftP99Ms)} ms`,
    errors: `${w.errors} error${w.errors === 1 ? '' : 's'}`,
    window: `last ${LIVE_WINDOW_S} s`,
  };
}

/** One line for logs: everything the terminal line has, and the time. */
export function plainLine(s: LiveSnapshot, drain: string | null): string {
  const p = payload(s, drain);
  return (
    `progress: ${s.phase} ${p.pct.trim()} ETA ${p.remaining}, ${p.done}, ${p.inflight}, ${p.rate}, ` +
    `TTFT ${p.ttft}, ${p.errors} (${p.window}), ${s.elapsedS.toFixed(0)}s`
  );
}
