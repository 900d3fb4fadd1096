/** Display names of the latency metrics the charts show (definitions: metric-definitions.ts). */
import type { MetricKey } from './run-chart-data.js';

export const METRIC_LABELS: Record<MetricKey, string> = {
  ttft: 'TTFT',
  tpot: 'TPOT',
  itl: 'ITL',
  latency: 'E2E latency',
};

export const METRIC_KEYS: readonly MetricKey[] = ['ttft', 'tpot', 'itl', 'latency'];
