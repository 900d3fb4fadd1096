/**
 * A sweep's throughput–latency curve: one point per step (achieved throughput, a latency
 * percentile), in the order the steps ran. Past saturation the achieved rate stops rising while
 * latency climbs, so the curve bends up (x is then not ascending: drawn in step order).
 */
import { paletteColor, type PlotSpec } from './plot-spec.js';

/** One step of a sweep, as plain figures (from its result summary). Latencies in ms. */
export interface SweepStep {
  /** What the step set: "10 req/s", "concurrency 8". */
  label: string;
  /** The load asked for (req/s or concurrency), for the table. */
  offered: number | null;
  /** Completed requests/s. */
  achievedQps: number;
  /** Output tokens/s. */
  tps?: number | null;
  ttftP50Ms: number | null;
  ttftP99Ms: number | null;
  e2eP50Ms: number | null;
  e2eP99Ms: number | null;
  tpotP50Ms?: number | null;
  errors?: number;
}

type LatencyField = 'ttftP50Ms' | 'ttftP99Ms' | 'e2eP50Ms' | 'e2eP99Ms';

function curve(steps: SweepStep[], fields: [LatencyField, string][], id: string, title: string): PlotSpec | null {
  const used = fields.filter(([f]) => steps.some((s) => s[f] !== null));
  if (steps.length === 0 || used.length === 0) return null;
  return {
    id,
    title,
    xLabel: 'achieved throughput (completed req/s)',
    yLabel: 'latency (ms)',
    yMin: 0,
    x: steps.map((s) => s.achievedQps),
    unsortedX: true,
    series: used.map(([f, label], i) => ({
      label,
      style: 'line-points',
      values: steps.map((s) => s[f]),
      color: paletteColor(i),
    })),
    note: `${steps.length} steps, joined in the order they ran`,
  };
}

export function sweepTtftPlot(steps: SweepStep[], id = 'sweep-ttft'): PlotSpec | null {
  return curve(
    steps,
    [
      ['ttftP50Ms', 'TTFT p50'],
      ['ttftP99Ms', 'TTFT p99'],
    ],
    id,
    'Throughput vs TTFT',
  );
}

export function sweepLatencyPlot(steps: SweepStep[], id = 'sweep-e2e'): PlotSpec | null {
  return curve(
    steps,
    [
      ['e2eP50Ms', 'E2E p50'],
      ['e2eP99Ms', 'E2E p99'],
    ],
    id,
    'Throughput vs E2E latency',
  );
}
