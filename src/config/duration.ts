/**
 * Durations as users write them: `30s`, `2m`, `1h`, `500ms`, or a bare number in the option's own
 * unit — milliseconds for MLPerf Endpoints' `--duration`/`min_duration_ms`, seconds for the
 * client timeouts (MLPerf's `max_idle_time` is seconds too).
 */

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export type BareUnit = 'ms' | 's';

/** Milliseconds, or null when the text is not a duration. */
export function parseDurationMs(text: string, bareUnit: BareUnit = 's'): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (m === null) return null;
  const value = Number(m[1]) * UNITS_MS[(m[2] ?? bareUnit).toLowerCase()];
  return Number.isFinite(value) ? value : null;
}

export function formatDurationMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
