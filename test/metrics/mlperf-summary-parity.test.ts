import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResultSummary } from '../../src/metrics/result-summary.js';
import { runConfigOf } from '../../src/metrics/run-config.js';
import type { RequestRecord } from '../../src/record/request-record.js';
import { summaryJson } from '../../src/report/report-files.js';
import { MLPERF_RESULT_SUMMARY_KEYS, keyPaths } from './mlperf-summary-keys.js';

const MS = 1e6;

function streamed(i: number, finishReason: string): RequestRecord {
  const sent = 1e12 + i * 10 * MS;
  const chunkTimes = Float64Array.from([20, 25, 31], (o) => sent + o * MS);
  return {
    id: i,
    sampleIndex: i,
    shard: 0,
    endpoint: 0,
    sourceIp: '',
    streaming: true,
    reused: i > 0,
    scheduled: sent,
    dispatched: sent,
    connectStart: NaN,
    connected: NaN,
    sent,
    headers: sent + 5 * MS,
    firstChunk: chunkTimes[0],
    firstToken: chunkTimes[0],
    end: chunkTimes[2],
    chunkTimes,
    status: 200,
    error: '',
    errorMessage: '',
    finishReason,
    inputTokens: 100 + i,
    outputTokens: 3,
    cachedTokens: -1,
    retries: 0,
    tokenSource: 'usage',
  };
}

const runConfig = runConfigOf({
  settings: {
    load_pattern: { type: 'poisson', target_qps: 10 },
    runtime: { scheduler_random_seed: 42, dataloader_random_seed: 7 },
  },
  endpoint_config: { endpoints: ['http://x'], api_key: 'secret' },
});

test("result_summary.json has every key of MLPerf Endpoints' summary", () => {
  const records = Array.from({ length: 20 }, (_, i) => streamed(i, i % 2 === 0 ? 'stop' : 'length'));
  const summary = buildResultSummary({
    records,
    state: 'complete',
    startNs: 1e12,
    endNs: 1e12 + 300 * MS,
    mode: 'online',
    loadPattern: 'poisson',
    runConfig,
    testStartedAtNs: 1.7e18,
  });
  const ours = new Set(keyPaths(JSON.parse(summaryJson(summary)) as Record<string, unknown>));
  const missing = keyPaths(MLPERF_RESULT_SUMMARY_KEYS).filter((k) => !ours.has(k));
  assert.deepEqual(missing, []);
});

test('an empty run still has every key (empty histograms, null numbers)', () => {
  const summary = buildResultSummary({ records: [], state: 'complete', startNs: 0, endNs: 0, mode: 'offline' });
  const ours = new Set(keyPaths(JSON.parse(summaryJson(summary)) as Record<string, unknown>));
  const missing = keyPaths(MLPERF_RESULT_SUMMARY_KEYS).filter((k) => !k.startsWith('run_config.') && !ours.has(k));
  assert.deepEqual(missing, []);
  assert.equal(summary.run_config, null);
  assert.deepEqual(summary.ttft.histogram, { buckets: [], counts: [] });
});

test('version, git_sha, test_started_at and run_config are filled; run_config holds no endpoint or key', () => {
  const summary = buildResultSummary({
    records: [streamed(0, 'stop')],
    state: 'complete',
    startNs: 1e12,
    endNs: 1e12 + 40 * MS,
    mode: 'online',
    runConfig,
    testStartedAtNs: 1.7e18,
  });
  assert.match(summary.version, /^\d+\.\d+\.\d+/);
  // Run from this checkout: its short commit.
  assert.match(summary.git_sha ?? '', /^[0-9a-f]{7,}$/);
  assert.equal(summary.test_started_at, 1.7e18);
  assert.deepEqual(summary.run_config, {
    load_pattern: { type: 'poisson', target_qps: 10 },
    warmup: {},
    scheduler_random_seed: 42,
    dataloader_random_seed: 7,
  });
  assert.doesNotMatch(JSON.stringify(summary.run_config), /secret|http/);
});

test("finish_reason_counts: theirs six keys always; unknown reasons are 'other', none given is not counted", () => {
  const reasons = ['stop', 'stop', 'length', 'tool_calls', 'content_filter', 'function_call', 'eos', 'abort', ''];
  const summary = buildResultSummary({
    records: reasons.map((r, i) => streamed(i, r)),
    state: 'complete',
    startNs: 1e12,
    endNs: 1e12 + 200 * MS,
    mode: 'online',
  });
  assert.deepEqual(summary.finish_reason_counts, {
    stop: 2,
    length: 1,
    tool_calls: 1,
    content_filter: 1,
    function_call: 1,
    other: 2,
  });
});
