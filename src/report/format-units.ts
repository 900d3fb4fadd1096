/**
 * Unit formatting for human reports. Inputs are the raw summary numbers (nanoseconds, token
 * counts, rates); null means "no samples" and prints as "n/a".
 */
import { NS_PER_MS, NS_PER_S } from '../record/clock.js';

export const NOT_AVAILABLE = 'n/a';

/**
 * Nanoseconds as milliseconds, with decimals that keep about four significant digits for the
 * values we see (sub-ms ITL up to multi-second latencies) without padding long numbers.
 */
export function formatMs(ns: number | null): string {
  if (ns === null || !Number.isFinite(ns)) return NOT_AVAILABLE;
  const ms = ns / NS_PER_MS;
  const magnitude = Math.abs(ms);
  const decimals = magnitude < 1 ? 3 : magnitude < 100 ? 2 : magnitude < 10_000 ? 1 : 0;
  return ms.toFixed(decimals);
}

/** Nanoseconds as seconds with millisecond resolution, e.g. "60.012". */
export function formatSeconds(ns: number | null): string {
  if (ns === null || !Number.isFinite(ns)) return NOT_AVAILABLE;
  return (ns / NS_PER_S).toFixed(3);
}

/** Token counts: whole numbers as they are, averages with one decimal. */
export function formatTokens(tokens: number | null): string {
  if (tokens === null || !Number.isFinite(tokens)) return NOT_AVAILABLE;
  return Number.isInteger(tokens) ? String(tokens) : tokens.toFixed(1);
}

/** A per-second rate (requests/s, tokens/s) with two decimals. */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return NOT_AVAILABLE;
  return perSecond.toFixed(2);
}
