/** TTFT of each request against when it was sent: queues building up show as a rising band. */
import { paletteColor, type PlotSpec } from './plot-spec.js';
import type { TtftScatter } from './run-chart-data.js';

export function ttftScatterPlot(s: TtftScatter, id = 'ttft-scatter'): PlotSpec | null {
  if (s.tS.length === 0) return null;
  const sampled = s.tS.length < s.total;
  return {
    id,
    title: 'TTFT vs time',
    xLabel: 's since start (request sent)',
    yLabel: 'TTFT (ms)',
    yMin: 0,
    x: s.tS,
    series: [{ label: 'TTFT', style: 'points', values: s.ttftMs, color: paletteColor(0) }],
    note: sampled
      ? `a seeded uniform sample of ${s.tS.length} of ${s.total} requests`
      : `every one of the ${s.total} requests with a TTFT`,
  };
}
