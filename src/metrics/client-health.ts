/**
 * Client health, measured on every run: could the client itself have distorted the numbers?
 * Per shard CPU and event-loop delay, schedule lag and client wait, and for open-loop runs how far
 * the sends fell behind their schedule. When one passes its limit, `distorted` is true and
 * `causes` names each in words; the report and the console print them as a warning.
 */
import { NS_PER_MS, NS_PER_S } from '../record/clock.js';
import type { EventLoopDelayStats } from './event-loop-delay.js';

/** Client wait p99 must stay at or under max(1 ms, 1 % of TTFT p50): below both it cannot move TTFT by 1 %. */
export const HEALTH_WAIT_FLOOR_NS = 1 * NS_PER_MS;
export const HEALTH_WAIT_RATIO = 0.01;
/** A shard at or above 90 % of a core had no slack: its timers and reads ran late. */
export const HEALTH_SHARD_CPU_SHARE = 0.9;
/** Sends stretched over a window more than 1 % longer than the schedule's: the client fell behind. */
export const HEALTH_RATE_SHORTFALL = 0.01;

export interface ShardHealthInput {
  shard: number;
  cpuNs: number;
  eventLoopDelay: EventLoopDelayStats | null;
}

export interface ShardHealth {
  shard: number;
  /** CPU time ÷ run duration: 1 = one core busy the whole run. */
  cpu_share: number;
  event_loop_delay_p50_ns: number | null;
  event_loop_delay_p99_ns: number | null;
  event_loop_delay_max_ns: number | null;
}

export interface ClientHealth {
  shards: ShardHealth[];
  /** Queue wait p99 (connect time excluded; concurrency runs: after the opening burst). */
  client_wait_p99_ns: number | null;
  schedule_lag_p99_ns: number | null;
  /** Open-loop runs: issued ÷ (last send − start), and the schedule's issued ÷ (last scheduled send − start). */
  achieved_rate: number | null;
  scheduled_rate: number | null;
  /** --target-qps, when given. */
  target_rate: number | null;
  distorted: boolean;
  causes: string[];
}

export interface ClientHealthInput {
  shards: readonly ShardHealthInput[];
  durationNs: number;
  clientWaitP99Ns: number | null;
  scheduleLagP99Ns: number | null;
  ttftP50Ns: number | null;
  /** Open-loop (poisson) runs only; null otherwise. */
  openLoop: { issued: number; lastSentNs: number; lastScheduledNs: number; startNs: number } | null;
  targetRate: number | null;
}

export function assessClientHealth(input: ClientHealthInput): ClientHealth {
  const causes: string[] = [];
  const shards: ShardHealth[] = input.shards.map((s) => ({
    shard: s.shard,
    cpu_share: input.durationNs > 0 ? s.cpuNs / input.durationNs : 0,
    event_loop_delay_p50_ns: s.eventLoopDelay?.p50Ns ?? null,
    event_loop_delay_p99_ns: s.eventLoopDelay?.p99Ns ?? null,
    event_loop_delay_max_ns: s.eventLoopDelay?.maxNs ?? null,
  }));
  for (const s of shards) {
    if (s.cpu_share >= HEALTH_SHARD_CPU_SHARE) {
      const loop =
        s.event_loop_delay_p99_ns !== null ? `, event-loop delay p99 ${ms(s.event_loop_delay_p99_ns)} ms` : '';
      causes.push(
        `shard ${s.shard} used ${(s.cpu_share * 100).toFixed(0)} % of a core${loop}: it had no slack, so sends and reads ran late (add --workers)`,
      );
    }
  }
  const wait = input.clientWaitP99Ns;
  if (wait !== null) {
    const ratioLimit = input.ttftP50Ns !== null ? HEALTH_WAIT_RATIO * input.ttftP50Ns : 0;
    const limit = Math.max(HEALTH_WAIT_FLOOR_NS, ratioLimit);
    if (wait > limit) {
      const versus =
        input.ttftP50Ns !== null && ratioLimit > HEALTH_WAIT_FLOOR_NS
          ? `1 % of TTFT p50 (${ms(input.ttftP50Ns)} ms)`
          : `${ms(HEALTH_WAIT_FLOOR_NS)} ms`;
      const lag = input.scheduleLagP99Ns !== null ? `; schedule lag p99 ${ms(input.scheduleLagP99Ns)} ms` : '';
      causes.push(`client wait p99 ${ms(wait)} ms is over ${versus}${lag}: requests left later than scheduled`);
    }
  }
  let achieved: number | null = null;
  let scheduled: number | null = null;
  const o = input.openLoop;
  if (o !== null && o.issued > 1 && o.lastScheduledNs > o.startNs && o.lastSentNs > o.startNs) {
    achieved = o.issued / ((o.lastSentNs - o.startNs) / NS_PER_S);
    scheduled = o.issued / ((o.lastScheduledNs - o.startNs) / NS_PER_S);
    if (achieved < (1 - HEALTH_RATE_SHORTFALL) * scheduled) {
      const target = input.targetRate !== null ? ` (target ${input.targetRate} req/s)` : '';
      causes.push(
        `the client sent at ${achieved.toFixed(2)} req/s, ${((1 - achieved / scheduled) * 100).toFixed(1)} % below its schedule's ${scheduled.toFixed(2)} req/s${target}: it fell behind`,
      );
    }
  }
  return {
    shards,
    client_wait_p99_ns: wait,
    schedule_lag_p99_ns: input.scheduleLagP99Ns,
    achieved_rate: achieved,
    scheduled_rate: scheduled,
    target_rate: input.targetRate,
    distorted: causes.length > 0,
    causes,
  };
}

/** The loud line for the report and the console. */
export function clientHealthWarning(h: ClientHealth): string | null {
  if (!h.distorted) return null;
  return `CLIENT HEALTH: the client may have distorted these numbers: ${h.causes.join('; ')}.`;
}

function ms(ns: number): string {
  return (ns / NS_PER_MS).toFixed(2);
}
