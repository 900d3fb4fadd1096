/**
 * The live view of a run, as the flags ask: a terminal line or plain lines on stderr (default),
 * JSON events on stdout (--json), or nothing (--quiet). It follows the run's observer hooks:
 * connecting → warmup (onWarm) → running (onStart) → draining (sending over, requests in flight).
 */
import type { ShardProgress } from '../shard/shard-plan.js';
import { jsonLine, progressEvent } from './live-view-json.js';
import { LiveState, type LivePlan } from './live-view-state.js';
import { ProgressDisplay } from './progress-display.js';

export type LiveViewMode = 'human' | 'json' | 'quiet';

export const JSON_EVENT_INTERVAL_MS = 1000;

export class LiveView {
  private readonly state: LiveState;
  private readonly display: ProgressDisplay | null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly err: NodeJS.WriteStream;
  /** Where JSON events go (--json only). */
  private out: NodeJS.WritableStream | null = null;

  constructor(
    plan: LivePlan,
    private readonly mode: LiveViewMode,
    streams: { err: NodeJS.WriteStream; out: NodeJS.WritableStream },
  ) {
    this.err = streams.err;
    this.state = new LiveState(plan);
    this.display = mode === 'human' ? new ProgressDisplay(plan, streams.err, this.state) : null;
    if (mode === 'json') {
      const out = streams.out;
      // One event a second whatever the shards send (none while connecting); unref: never holds the process.
      this.timer = setInterval(() => out.write(jsonLine(progressEvent(this.state.snapshot()))), JSON_EVENT_INTERVAL_MS);
      this.timer.unref();
      this.out = out;
    }
  }

  /** Notices and the banner are out: show the live line from here (the connecting phase). */
  connecting(): void {
    this.display?.connecting();
  }

  /** A notice during the run: above the terminal line, or as a plain line (nothing with --quiet). */
  notice(text: string): void {
    if (this.display !== null) this.display.notice(text);
    else if (this.mode === 'json') this.err.write(text);
  }

  warm(): void {
    this.state.warm();
    this.display?.warm();
  }

  start(): void {
    this.state.start();
    this.display?.start();
  }

  update(p: ShardProgress, liveTtft?: readonly number[]): void {
    if (this.display !== null) this.display.update(p, liveTtft);
    else this.state.update(p, liveTtft);
  }

  /** The load has ended (or was interrupted): the terminal line is finished, JSON gets its `done`. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.state.finish();
    this.display?.stop();
    if (this.timer !== null) clearInterval(this.timer);
    this.out?.write(jsonLine(progressEvent(this.state.snapshot(), 'done')));
  }
}

/** The mode the flags ask for: --json wins over --quiet for stdout (both silence the notices). */
export function liveViewMode(settings: { quiet: boolean; json: boolean }): LiveViewMode {
  return settings.json ? 'json' : settings.quiet ? 'quiet' : 'human';
}

/** Where notices (banner, warnings, "report written to") go: nowhere with --quiet. */
export function noticeStream(settings: { quiet: boolean }, err: NodeJS.WriteStream): Pick<NodeJS.WriteStream, 'write'> {
  return settings.quiet ? { write: () => true } : err;
}
