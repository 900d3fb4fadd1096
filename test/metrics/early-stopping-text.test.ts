import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResultSummary } from '../../src/metrics/result-summary.js';
import { formatReportText } from '../../src/report/report-text.js';
import { streamedRecord } from './record-fixture.js';

const MS = 1e6;

test('report.txt shows the early-stopping estimates, n/a below the floor', () => {
  // 700 requests, TTFT 1..700 ms: p99 has its 662-sample floor, p99.9 does not.
  const records = Array.from({ length: 700 }, (_, i) =>
    streamedRecord(i, 1e12 + i * MS, [(i + 1) * MS, (i + 1) * MS + 5 * MS]),
  );
  const summary = buildResultSummary({
    records,
    state: 'complete',
    startNs: 1e12,
    endNs: 1e12 + 2000 * MS,
    mode: 'online',
  });
  assert.equal(summary.ttft.early_stopping_percentiles['99.0'], 700 * MS);
  assert.equal(summary.ttft.early_stopping_percentiles['99.9'], null);
  const text = formatReportText(summary, {
    model: 'm',
    endpoints: ['e'],
    mode: 'online',
    loadPattern: 'poisson',
    streaming: true,
  });
  const lines = text.split('\n');
  const row = lines.slice(lines.findIndex((l) => l.startsWith('early stopping'))).find((l) => l.startsWith('TTFT'));
  assert.ok(row, text);
  assert.match(row, /700\.0\s+n\/a$/);
  assert.match(text, /early stopping\s+p50\s+p90\s+p95\s+p99\s+p99\.9/);
  assert.match(text, /p99: 662/);
});
