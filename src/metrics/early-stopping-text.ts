/**
 * report.txt's early-stopping table: MLPerf LoadGen's estimates for TTFT, TPOT and E2E latency,
 * beside the percentile each one bounds. "n/a" below a percentile's sample floor.
 */
import { formatMs, NOT_AVAILABLE } from '../report/format-units.js';
import { sampleFloor, type EarlyStoppingKey } from './early-stopping.js';
import type { ResultSummary } from './result-summary.js';

const SHOWN: readonly { key: EarlyStoppingKey; title: string }[] = [
  { key: '50.0', title: 'p50' },
  { key: '90.0', title: 'p90' },
  { key: '95.0', title: 'p95' },
  { key: '99.0', title: 'p99' },
  { key: '99.9', title: 'p99.9' },
];

export function formatEarlyStopping(summary: ResultSummary, labelWidth: number, cellWidth: number): string[] {
  const rows = [
    { label: 'TTFT', series: summary.ttft },
    { label: 'TPOT', series: summary.tpot },
    { label: 'E2E latency', series: summary.latency },
  ].filter((r) => r.series.avg !== null);
  if (rows.length === 0) return [];
  const cell = (text: string) => ' ' + text.padStart(cellWidth);
  const header = 'early stopping'.padEnd(labelWidth) + SHOWN.map((c) => cell(c.title)).join('');
  const lines = [header, '-'.repeat(header.length)];
  for (const r of rows) {
    const es = r.series.early_stopping_percentiles;
    lines.push(r.label.padEnd(labelWidth) + SHOWN.map((c) => cell(formatMs(es[c.key] ?? null))).join(''));
  }
  lines.push(
    '  = the value the true percentile stays under with 99 % confidence (MLPerf LoadGen early stopping);',
    `    ${NOT_AVAILABLE} below the sample floor (p90: ${sampleFloor(90)}, p99: ${sampleFloor(99)}, p99.9: ${sampleFloor(99.9)} samples)`,
  );
  return lines;
}
