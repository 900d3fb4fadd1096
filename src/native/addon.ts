/**
 * The optional native addon (native/, built by node-gyp during `npm install` as
 * build/Release/llm_loadgen_native.node): IP_BIND_ADDRESS_NO_PORT sockets and socket peeks for the
 * connection budget, the per-read SSE scanner, the JSON-body scanner, the response-head parser and
 * the open-loop schedule's deadline timer.
 *
 * This is the one switch for all of them: every fast path asks nativeAddon() when it runs, and
 * gets null when the addon is missing (not Linux, no compiler), disabled by
 * `LLM_LOADGEN_NO_ADDON=1`, or turned off with useNativeAddon(false) (the differential tests run
 * both paths in one process). Everything that uses it has a JS fallback with the same results.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeAddon {
  boundSocket(ip: string): number;
  closeFd(fd: number): void;
  /** A socket's pending state without reading it: 0 nothing, 1 bytes, 2 FIN, 3 error (native/bind_no_port.c). */
  peekSocket(fd: number): number;
  /** Scans clean `data: {json}\n\n` events in buf[start, end) into SseSlot `out`; returns the offset after the last one. */
  scanSse(buf: Buffer, start: number, end: number, out: Int32Array): number;
  /** Scans one whole JSON body in buf[start, end) into SseSlot `out`: 1 token, 0 none, -1 needs the JS path. */
  scanJson(buf: Buffer, start: number, end: number, out: Int32Array): number;
  /** Status line and the used headers of head bytes buf[start, end) into HeadSlot `out`: status, -1 not HTTP/1.x, -2 bad Content-Length. */
  parseHead(buf: Buffer, start: number, end: number, out: Float64Array): number;
  /** A one-shot timerfd watched by the event loop (native/deadline_timer.c), for the open-loop schedule. */
  createDeadlineTimer(callback: () => void): object;
  /** Fire once, delayNs from now (<= 0: at once); replaces an armed deadline. */
  armDeadlineTimer(timer: object, delayNs: number): void;
  disarmDeadlineTimer(timer: object): void;
  closeDeadlineTimer(timer: object): void;
  /** sched_setscheduler(tid, SCHED_IDLE): false when refused (native/thread_sched.c). */
  setThreadIdle(tid: number): boolean;
  /** Back to SCHED_OTHER at the thread's nice: false when refused (needs CAP_SYS_NICE or RLIMIT_NICE). */
  setThreadNormal(tid: number): boolean;
  /**
   * A normal-policy thread that puts every thread of process `pid` (but itself and `exemptTid`, -1
   * none) back to SCHED_OTHER once one of them waited > maxWaitMs for a core in a periodMs while
   * together they ran < minRunMs, and idles them again after a period with none waiting that long.
   */
  startStarvationGuard(pid: number, periodMs: number, maxWaitMs: number, minRunMs: number, exemptTid: number): object;
  /** The guard thread's own id (never to be idled). */
  starvationGuardTid(guard: object): number;
  /** Stops the guard; how many times it had put the threads back. */
  stopStarvationGuard(guard: object): number;
  /** The slot table the addon was compiled with (native/slots.h), layout → slot name → index. */
  readonly slots: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** The gyp target (binding.gyp). */
export const ADDON_FILE = 'llm_loadgen_native.node';

let loaded: NativeAddon | null | undefined;
/** What nativeAddon() answers: the loaded addon while the switch is on. */
let active: NativeAddon | null = null;
let on = true;

/** The addon as built, whatever the switch says (null when not built, not Linux, or LLM_LOADGEN_NO_ADDON=1). */
export function loadNativeAddon(): NativeAddon | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.platform === 'linux' && process.env.LLM_LOADGEN_NO_ADDON !== '1') {
    // src/native/ and dist/native/ are both two levels below the package root.
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
    try {
      loaded = createRequire(import.meta.url)(path.join(root, 'build', 'Release', ADDON_FILE)) as NativeAddon;
    } catch {
      loaded = null;
    }
  }
  active = on ? loaded : null;
  return loaded;
}

/** The addon when it is built and on, else null: every native fast path asks here, each time. */
export function nativeAddon(): NativeAddon | null {
  if (loaded === undefined) loadNativeAddon();
  return active;
}

/**
 * Turns every native fast path off (false) or back on; returns whether they are on now (false when
 * the addon is not built). Sockets already bound natively keep working: peeks only happen on
 * connections that found the addon on when they connected.
 */
export function useNativeAddon(enable: boolean): boolean {
  on = enable;
  active = on ? loadNativeAddon() : null;
  return active !== null;
}
