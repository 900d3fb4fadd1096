/**
 * Waiting for an absolute deadline on the monotonic clock, for the open-loop schedule. Three ways:
 *
 * - `native`: a timerfd watched by the event loop (native/deadline_timer.c): wakes within tens of
 *   µs of the deadline for two syscalls per wait. The default when the addon is on.
 * - `spin`: setTimeout to ~1 ms before the deadline, then setImmediate polling the clock: as
 *   precise, but the polling keeps a core busy once gaps are under ~1.5 ms (0.6–1.1 ms of CPU per
 *   request at 2,000 requests/s). The fallback without the addon.
 * - `timeout`: setTimeout alone, rounded up to whole ms: cheapest, but up to ~1–2 ms late.
 *
 * Never early: the callback runs at or after the deadline (the schedule re-checks the clock).
 * Numbers behind the choice: docs/PERFORMANCE.md, "Open-loop timers".
 */
import { nativeAddon, type NativeAddon } from '../native/addon.js';
import { monotonicNs } from '../record/clock.js';

import type { SendTimer } from './send-timer.js';

export interface DeadlineWait {
  /** Call back once, at or soon after monotonicNs() reaches deadlineNs (replaces any wait armed). */
  waitUntil(deadlineNs: number): void;
  cancel(): void;
  /** Cancels and releases the timer; the wait is unusable after. */
  close(): void;
}

/** What `auto` means here: native when the addon is on, else spin. */
export function resolveSendTimer(mode: SendTimer): Exclude<SendTimer, 'auto'> {
  if (mode === 'auto') return nativeAddon() !== null ? 'native' : 'spin';
  return mode;
}

/** A wait calling `callback`; `native` without the addon falls back to `spin`. */
export function createDeadlineWait(callback: () => void, mode: SendTimer = 'auto'): DeadlineWait {
  const resolved = resolveSendTimer(mode);
  const addon = nativeAddon();
  if (resolved === 'native' && addon !== null) return new NativeWait(addon, callback);
  if (resolved === 'timeout') return new TimeoutWait(callback);
  return new SpinWait(callback);
}

class NativeWait implements DeadlineWait {
  private readonly timer: object;

  constructor(
    private readonly addon: NativeAddon,
    callback: () => void,
  ) {
    this.timer = addon.createDeadlineTimer(callback);
  }

  waitUntil(deadlineNs: number): void {
    this.addon.armDeadlineTimer(this.timer, deadlineNs - monotonicNs());
  }

  cancel(): void {
    this.addon.disarmDeadlineTimer(this.timer);
  }

  close(): void {
    this.addon.closeDeadlineTimer(this.timer);
  }
}

/** Poll with setImmediate in the last 1.5 ms: setTimeout fires up to ~1 ms late. */
const SPIN_WINDOW_NS = 1.5e6;
const TIMER_EARLY_MS = 1;

class SpinWait implements DeadlineWait {
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private deadlineNs = 0;
  private readonly tick = () => this.onTick();

  constructor(private readonly callback: () => void) {}

  waitUntil(deadlineNs: number): void {
    this.cancel();
    this.deadlineNs = deadlineNs;
    this.arm();
  }

  private arm(): void {
    const wait = this.deadlineNs - monotonicNs();
    if (wait > SPIN_WINDOW_NS) this.timer = setTimeout(this.tick, wait / 1e6 - TIMER_EARLY_MS);
    else this.immediate = setImmediate(this.tick);
  }

  private onTick(): void {
    this.timer = null;
    this.immediate = null;
    if (monotonicNs() >= this.deadlineNs) this.callback();
    else this.arm();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  close(): void {
    this.cancel();
  }
}

class TimeoutWait implements DeadlineWait {
  private timer: NodeJS.Timeout | null = null;
  private deadlineNs = 0;
  private readonly tick = () => this.onTick();

  constructor(private readonly callback: () => void) {}

  waitUntil(deadlineNs: number): void {
    this.cancel();
    this.deadlineNs = deadlineNs;
    this.arm();
  }

  private arm(): void {
    this.timer = setTimeout(this.tick, Math.max(1, Math.ceil((this.deadlineNs - monotonicNs()) / 1e6)));
  }

  private onTick(): void {
    this.timer = null;
    if (monotonicNs() >= this.deadlineNs) this.callback();
    else this.arm();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  close(): void {
    this.cancel();
  }
}
