/**
 * Event-loop delay of a shard, measured for the whole run with node's monitorEventLoopDelay: a
 * libuv timer every 10 ms records when it fired, in a native histogram (no JS per sample).
 * A shard whose loop runs late sends late and reads responses late: TTFT and ITL include it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopDelayStats {
  p50Ns: number;
  p99Ns: number;
  maxNs: number;
  meanNs: number;
}

/** 10 ms: Node's default; finer costs CPU, coarser misses short stalls. */
const RESOLUTION_MS = 10;
/**
 * Node 20's histogram records the whole interval between samples, not the lateness: an idle
 * process reads p50 10.17 ms, min 10.08 ms. Subtracted, so the figures are the delay itself.
 */
const RESOLUTION_NS = RESOLUTION_MS * 1e6;

function lateness(intervalNs: number): number {
  return Math.max(0, intervalNs - RESOLUTION_NS);
}

/** Starts measuring; the returned function stops and gives the delays (null when nothing was sampled). */
export function startEventLoopDelay(): () => EventLoopDelayStats | null {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  return () => {
    h.disable();
    if (h.count === 0) return null;
    return {
      p50Ns: lateness(h.percentile(50)),
      p99Ns: lateness(h.percentile(99)),
      maxNs: lateness(h.max),
      meanNs: lateness(h.mean),
    };
  };
}
