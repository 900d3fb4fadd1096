import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestRecord } from '../../src/record/request-record.js';
import { buildResultSummary, type ResultSummaryInput } from '../../src/metrics/result-summary.js';

const MS = 1e6;
const BASE = 5e12; // an arbitrary monotonic-clock origin, as in a real run

/** A successful record with every timestamp unset; tests fill in what they need. */
function record(overrides: Partial<RequestRecord>): RequestRecord {
  return {
    id: 0,
    sampleIndex: 0,
    shard: 0,
    endpoint: 0,
    sourceIp: '',
    streaming: false,
    reused: false,
    scheduled: Number.NaN,
    dispatched: Number.NaN,
    connectStart: NaN,
    connected: Number.NaN,
    sent: Number.NaN,
    headers: Number.NaN,
    firstChunk: Number.NaN,
    firstToken: Number.NaN,
    end: Number.NaN,
    chunkTimes: new Float64Array(0),
    status: 200,
    error: '',
    errorMessage: '',
    finishReason: 'stop',
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: -1,
    retries: 0,
    tokenSource: 'usage',
    ...overrides,
  };
}

/** Streaming success: sent at `sentMs`, chunks at the given offsets (ms after sent). */
function streamingRecord(
  sentMs: number,
  chunkOffsetsMs: number[],
  overrides: Partial<RequestRecord> = {},
): RequestRecord {
  const sent = BASE + sentMs * MS;
  const chunkTimes = Float64Array.from(chunkOffsetsMs, (offset) => sent + offset * MS);
  return record({
    streaming: true,
    scheduled: sent,
    sent,
    firstChunk: chunkTimes[0],
    firstToken: chunkTimes[0],
    end: chunkTimes[chunkTimes.length - 1],
    chunkTimes,
    outputTokens: chunkTimes.length,
    ...overrides,
  });
}

/** A streaming record A, a non-streaming record B, two http_status failures and a refused connect. */
function mixedRecords(): RequestRecord[] {
  const a = streamingRecord(1, [100, 110, 130, 160], {
    id: 1,
    scheduled: BASE, // sent 1 ms after schedule
    inputTokens: 10,
    outputTokens: 4,
  });
  const bSent = BASE + 2 * MS;
  const b = record({
    id: 2,
    scheduled: bSent,
    sent: bSent,
    firstToken: bSent + 300 * MS,
    end: bSent + 300 * MS,
    inputTokens: 20,
    outputTokens: 5,
    finishReason: 'length',
  });
  const cSent = BASE + 3 * MS;
  const failure = {
    scheduled: cSent,
    sent: cSent,
    end: cSent + 5 * MS,
    status: 500,
    error: 'http_status' as const,
    finishReason: '',
  };
  const c = record({ ...failure, id: 3, errorMessage: 'HTTP 500: first' });
  const d = record({ ...failure, id: 4, errorMessage: 'HTTP 500: second' });
  const e = record({
    id: 5,
    scheduled: cSent,
    status: 0,
    error: 'connect_refused',
    errorMessage: 'ECONNREFUSED 127.0.0.1:9',
    finishReason: '',
  });
  return [a, b, c, d, e];
}

function summarize(records: RequestRecord[], extra: Partial<ResultSummaryInput> = {}) {
  return buildResultSummary({
    records,
    state: 'complete',
    startNs: BASE,
    endNs: BASE + 2_000 * MS, // 2 s
    mode: 'online',
    loadPattern: 'poisson',
    ...extra,
  });
}

test('counts, rates and every series from hand-built records', () => {
  const s = summarize(mixedRecords());

  assert.equal(s.n_samples_issued, 5);
  assert.equal(s.n_samples_completed, 2);
  assert.equal(s.n_samples_failed, 3);
  assert.equal(s.duration_ns, 2e9);
  assert.equal(s.qps, 1); // 2 completed / 2 s
  assert.equal(s.tps, 4.5); // (4 + 5) output tokens / 2 s
  assert.equal(s.state, 'complete');
  assert.equal(s.complete, true);
  assert.equal(s.mode, 'online');
  assert.equal(s.load_pattern, 'poisson');

  // TTFT: only the streaming success, 100 ms.
  assert.equal(s.ttft.avg, 100 * MS);
  assert.equal(s.ttft.percentiles['99.9'], 100 * MS);
  // TPOT: (160 - 100) ms / (4 - 1) = 20 ms.
  assert.equal(s.tpot.avg, 20 * MS);
  // ITL: gaps 10, 20, 30 ms.
  assert.equal(s.itl.min, 10 * MS);
  assert.equal(s.itl.max, 30 * MS);
  assert.equal(s.itl.median, 20 * MS);
  assert.equal(s.itl.avg, 20 * MS);
  assert.equal(s.itl.total, 60 * MS);
  assert.equal(s.itl.percentiles['50.0'], 20 * MS);
  // E2E latency: A 160 ms, B 300 ms (successes only).
  assert.equal(s.latency.min, 160 * MS);
  assert.equal(s.latency.max, 300 * MS);
  assert.equal(s.latency.median, 160 * MS); // the p50 "lower" sample, as MLPerf Endpoints' median
  assert.equal(s.latency.percentiles['50.0'], 160 * MS);
  // Token lengths of successes.
  assert.equal(s.input_sequence_lengths.avg, 15);
  assert.equal(s.output_sequence_lengths.total, 9);
  assert.equal(s.output_sequence_lengths.median, 4);
  // Client wait: every record that was sent (A 1 ms, B/C/D 0); E was never sent.
  assert.equal(s.client_wait.max, 1 * MS);
  assert.equal(s.client_wait.min, 0);
  assert.equal(s.client_wait.total, 1 * MS);
  assert.equal(s.client_wait.avg, 0.25 * MS);

  assert.deepEqual(s.finish_reason_counts, {
    stop: 1,
    length: 1,
    tool_calls: 0,
    content_filter: 0,
    function_call: 0,
    other: 0,
  });
  assert.deepEqual(s.errors, {
    http_status: { count: 2, example: 'HTTP 500: first', by_status: { 500: { count: 2, example: 'HTTP 500: first' } } },
    connect_refused: { count: 1, example: 'ECONNREFUSED 127.0.0.1:9' },
  });
  assert.deepEqual(s.token_count_sources, { usage: 2, chunks: 0, none: 0 });
  assert.deepEqual(s.warnings, ['3 of 5 requests failed; see errors.']);
});

test('issued = completed + failed, and the JSON keeps empty series keys', () => {
  const s = summarize([]);
  assert.equal(s.n_samples_issued, 0);
  assert.equal(s.n_samples_completed + s.n_samples_failed, 0);
  const json = JSON.parse(JSON.stringify(s)) as Record<string, { avg: unknown }>;
  for (const key of ['ttft', 'tpot', 'itl', 'latency', 'client_wait', 'input_sequence_lengths']) {
    assert.ok(key in json, key);
    assert.equal(json[key]!.avg, null);
  }
  assert.deepEqual(s.warnings, []);
});

test('zero duration gives zero rates, not Infinity', () => {
  const s = summarize(mixedRecords(), { endNs: BASE });
  assert.equal(s.qps, 0);
  assert.equal(s.tps, 0);
});

test('an empty finish reason is in none of the six counts (as in MLPerf Endpoints); TPOT needs two tokens', () => {
  const s = summarize([streamingRecord(0, [50], { finishReason: '', outputTokens: 1 })]);
  assert.equal(
    Object.values(s.finish_reason_counts).reduce((a, b) => a + b, 0),
    0,
  );
  assert.equal(s.tpot.avg, null);
  assert.equal(s.itl.avg, null); // one chunk: no gap
  assert.equal(s.ttft.avg, 50 * MS);
});

test('complete means the run reached its planned end, failures or not', () => {
  assert.equal(summarize(mixedRecords()).complete, true);
  const interrupted = summarize(mixedRecords(), { state: 'interrupted' });
  assert.equal(interrupted.complete, false);
  assert.ok(interrupted.warnings.some((w) => w.includes('interrupted')));
});

/** TTFT 100 ms for each; client wait as given (ms). */
function delayedRecords(clientWaitMs: number): RequestRecord[] {
  return Array.from({ length: 10 }, (_, i) =>
    streamingRecord(i, [100, 120], { scheduled: BASE + (i - clientWaitMs) * MS }),
  );
}
const isBottleneck = (w: string) => w.startsWith('client wait p99');

test('client-bottleneck warning when client wait p99 exceeds 5 % of the TTFT median', () => {
  // Threshold: max(1 ms, 0.05 x 100 ms) = 5 ms.
  const slow = summarize(delayedRecords(50));
  const warning = slow.warnings.find(isBottleneck);
  assert.ok(warning, 'expected a bottleneck warning');
  assert.match(
    warning,
    /client wait p99 50\.00 ms \(connect time excluded\) is not small next to TTFT median 100\.00 ms/,
  );
  assert.match(warning, /--workers/);
  assert.match(warning, /--max-connections/);

  const concurrency = summarize(delayedRecords(50), { loadPattern: 'concurrency' });
  assert.ok(concurrency.warnings.some(isBottleneck));
});

test('no client-bottleneck warning below the threshold or in offline runs', () => {
  // 2 ms is above the 1 ms floor but below 5 ms (5 % of 100 ms).
  assert.ok(!summarize(delayedRecords(2)).warnings.some(isBottleneck));
  assert.ok(!summarize(delayedRecords(5)).warnings.some(isBottleneck)); // not strictly greater
  // Offline queues on purpose.
  const offline = summarize(delayedRecords(50), { mode: 'offline', loadPattern: 'offline' });
  assert.ok(!offline.warnings.some(isBottleneck));
  const offlineByMode = summarize(delayedRecords(50), { mode: 'offline', loadPattern: undefined });
  assert.ok(!offlineByMode.warnings.some(isBottleneck));
});

test('the 1 ms floor applies when TTFT is tiny', () => {
  // TTFT 100 ms x 0.05 would allow 5 ms; with TTFT 2 ms the floor (1 ms) rules.
  const records = Array.from({ length: 10 }, (_, i) =>
    streamingRecord(i, [2, 3], { scheduled: BASE + (i - 1.5) * MS }),
  );
  assert.ok(summarize(records).warnings.some(isBottleneck));
});

test('chunk-counted tokens are warned about', () => {
  const records = [
    streamingRecord(0, [10, 20, 30], { tokenSource: 'chunks' }),
    streamingRecord(1, [10, 20, 30], { tokenSource: 'chunks' }),
    streamingRecord(2, [10, 20, 30]),
  ];
  const s = summarize(records);
  assert.deepEqual(s.token_count_sources, { usage: 1, chunks: 2, none: 0 });
  assert.ok(
    s.warnings.some((w) => w.startsWith('output tokens counted as chunks for 2 requests: the server sent no usage')),
  );
});

test('many records: series sizes add up', () => {
  const records = Array.from({ length: 1000 }, (_, i) => streamingRecord(i, [100, 101, 102, 103]));
  const s = summarize(records);
  assert.equal(s.itl.total, 3000 * MS);
  assert.equal(s.itl.avg, 1 * MS);
  assert.equal(s.ttft.percentiles['99.9'], 100 * MS);
});

test('concurrency: the opening burst (all scheduled at the start) does not trigger the warning; a slow steady state does', () => {
  // 4 requests scheduled at the start waited 30 ms to go out; 40 later ones waited 0.1 ms.
  const opening = Array.from({ length: 4 }, (_, i) =>
    streamingRecord(i, [100, 120], { scheduled: BASE, sent: BASE + 30 * MS }),
  );
  const steady = (waitMs: number) =>
    Array.from({ length: 40 }, (_, i) => {
      const sentMs = 200 + i * 10;
      return streamingRecord(sentMs, [100, 120], { id: 10 + i, scheduled: BASE + (sentMs - waitMs) * MS });
    });
  const burstOnly = summarize([...opening, ...steady(0.1)], { loadPattern: 'concurrency' });
  assert.ok(!burstOnly.warnings.some(isBottleneck), 'an opening burst is not a bottleneck');
  assert.ok(burstOnly.client_wait.max! >= 30 * MS, 'the burst is still reported in client_wait');
  const slowSteady = summarize([...opening, ...steady(20)], { loadPattern: 'concurrency' });
  assert.ok(slowSteady.warnings.some(isBottleneck), 'a slow steady state is');
});

test('http_status errors are kept per status, each with its own example (429, 500 and 503 are not one bucket)', () => {
  const failed = (status: number, message: string) =>
    record({ scheduled: BASE, sent: BASE, end: BASE + MS, status, error: 'http_status', errorMessage: message });
  const s = summarize([
    failed(429, 'HTTP 429 (Retry-After: 7): slow down'),
    failed(500, 'HTTP 500: boom'),
    failed(429, 'HTTP 429 (Retry-After: 9): again'),
    failed(503, 'HTTP 503 (Retry-After: 30): overloaded'),
  ]);
  const e = s.errors.http_status!;
  assert.equal(e.count, 4);
  assert.deepEqual(e.by_status, {
    429: { count: 2, example: 'HTTP 429 (Retry-After: 7): slow down' },
    500: { count: 1, example: 'HTTP 500: boom' },
    503: { count: 1, example: 'HTTP 503 (Retry-After: 30): overloaded' },
  });
});

/** Poisson-like records 100 ms apart whose every request opened its own connection of `connectMs`. */
function connectEveryTime(connectMs: number, overrides: Partial<RequestRecord> = {}): RequestRecord[] {
  return Array.from({ length: 40 }, (_, i) => {
    const scheduled = BASE + i * 100 * MS;
    const connected = scheduled + connectMs * MS;
    return streamingRecord(0, [], {
      id: i,
      scheduled,
      dispatched: scheduled,
      connectStart: scheduled,
      connected,
      sent: connected,
      firstChunk: connected + 100 * MS,
      firstToken: connected + 100 * MS,
      end: connected + 120 * MS,
      chunkTimes: Float64Array.of(connected + 100 * MS, connected + 120 * MS),
      outputTokens: 2,
      ...overrides,
    });
  });
}
const QUIET_CLIENT = { clientCpuNs: 0.05 * 4e9, shards: 1, endNs: BASE + 4_000 * MS };

test('a server that closes every connection: connect time is reported apart and blamed on the server, not the client', () => {
  // llama-server closes after every streamed response: each request pays a 50 ms connect.
  const s = summarize(connectEveryTime(50), QUIET_CLIENT);
  assert.deepEqual([s.connections.reused, s.connections.new], [0, 40]);
  assert.equal(s.connections.connect_time.median, 50 * MS);
  assert.equal(s.client_wait.median, 50 * MS, 'client wait still shows what the request waited');
  assert.equal(s.client_queue_wait.max, 0, 'none of it was queueing in the client');
  assert.ok(!s.warnings.some((w) => /client was the bottleneck|--workers/.test(w)), s.warnings.join('\n'));
  const churn = s.warnings.find((w) => /opened a new connection/.test(w));
  assert.ok(churn, s.warnings.join('\n'));
  assert.match(churn, /40 of 40 requests opened a new connection .*connect p50 50\.00 ms/);
  assert.match(churn, /the server closed connections/);
  // The pools saw the server close them: the same warning.
  const seen = summarize(connectEveryTime(50), { ...QUIET_CLIENT, serverClosedConnections: 39 });
  assert.ok(seen.warnings.some((w) => /40 of 40 requests opened a new connection/.test(w)));
  assert.equal(seen.connections.server_closed, 39);
});

test('requests that each need a connection because all were busy (long streams) are not blamed on the server', () => {
  // 40 requests in flight at once, each on a connection of its own; the server closed none.
  const s = summarize(connectEveryTime(50), { ...QUIET_CLIENT, serverClosedConnections: 0 });
  assert.deepEqual([s.connections.reused, s.connections.new, s.connections.server_closed], [0, 40, 0]);
  assert.ok(!s.warnings.some((w) => /opened a new connection/.test(w)), s.warnings.join('\n'));
});

test('requests on connections opened before the clock are counted: reused + new + preopened = sent', () => {
  const records = connectEveryTime(50).map((r, i) => (i < 8 ? { ...r, connectStart: NaN, connected: NaN } : r));
  const s = summarize(records, QUIET_CLIENT);
  assert.deepEqual([s.connections.reused, s.connections.new, s.connections.preopened], [0, 32, 8]);
});

test('the client is called the bottleneck only with evidence: CPU high or schedule lag', () => {
  const queued = (lagMs: number) =>
    connectEveryTime(0, {}).map((r) => ({
      ...r,
      connectStart: NaN,
      reused: true,
      dispatched: r.scheduled + lagMs * MS,
      sent: r.scheduled + 30 * MS,
    }));
  // A busy shard: 95 % of a core.
  const busy = summarize(queued(0), { ...QUIET_CLIENT, clientCpuNs: 0.95 * 4e9 });
  const busyWarning = busy.warnings.find((w) => w.startsWith('client wait p99'));
  assert.match(busyWarning ?? '', /shard CPU 95 % of a core.*the client was the bottleneck.*--workers/);
  // A late event loop: schedule lag 30 ms.
  const late = summarize(queued(30), QUIET_CLIENT);
  const lateWarning = late.warnings.find((w) => w.startsWith('client wait p99')) ?? '';
  assert.match(
    lateWarning,
    /the client host woke late \(schedule lag p99 30\.00 ms while the shard used only 5 % of a core\)/,
  );
  assert.doesNotMatch(lateWarning, /Add --workers/);
  // Neither: the wait was for a free connection (the limit), and the client is not blamed.
  const limited = summarize(queued(0), QUIET_CLIENT);
  const limitWarning = limited.warnings.find((w) => w.startsWith('client wait p99')) ?? '';
  assert.match(limitWarning, /waited for a free connection.*raise --max-connections/);
  assert.doesNotMatch(limitWarning, /client was the bottleneck|--workers/);
});

test('requests re-sent after the server closed their idle connection are the server closing, not a client bottleneck', () => {
  const records = connectEveryTime(0).map((r, i) => ({
    ...r,
    connectStart: NaN,
    reused: true,
    sent: r.scheduled + (i % 2 === 0 ? 30 : 0) * MS,
    retries: i % 2 === 0 ? 1 : 0,
  }));
  const s = summarize(records, QUIET_CLIENT);
  assert.ok(!s.warnings.some((w) => /bottleneck|--workers/.test(w)), s.warnings.join('\n'));
  assert.ok(
    s.warnings.some((w) => /20 request\(s\) were sent again because the server had closed the idle connection/.test(w)),
    s.warnings.join('\n'),
  );
});

/**
 * An open-loop run against a FIFO server of `capacity` req/s: arrivals every 1/offered s for
 * `windowS`, each served after the one before (service time 1/capacity), as a saturated server does.
 */
function queuedRun(offered: number, capacity: number, windowS: number, latencyFloorMs = 0): RequestRecord[] {
  const out: RequestRecord[] = [];
  let free = BASE;
  for (let i = 0; i < offered * windowS; i++) {
    const at = BASE + (i / offered) * 1e9;
    const end = Math.max(at + latencyFloorMs * MS, free + 1e9 / capacity);
    free = Math.max(free, at) + 1e9 / capacity;
    out.push(
      record({ id: i, scheduled: at, dispatched: at, sent: at, firstToken: end, end, outputTokens: 1, reused: true }),
    );
  }
  return out;
}
const runOf = (records: RequestRecord[], offeredQps: number) =>
  summarize(records, { offeredQps, endNs: Math.max(...records.map((r) => r.end)) });

test('overload is called out: 25 req/s offered to a server that does 15 took far longer than the send window to drain', () => {
  const s = runOf(queuedRun(25, 15, 20), 25);
  assert.equal(s.offered_qps, 25);
  assert.ok(s.drain_ns > 10e9, `drain ${s.drain_ns}`);
  const warning = s.warnings.find((w) => w.startsWith('overloaded'));
  assert.ok(warning, s.warnings.join('\n'));
  assert.match(warning, /offered 25 req\/s, but requests completed at 1[45]\.\d\d req\/s/);
  assert.match(warning, /Lower --target-qps/);
});

test('no overload warning when the server keeps up, even with requests longer than half the window', () => {
  assert.ok(!runOf(queuedRun(10, 50, 20), 10).warnings.some((w) => w.startsWith('overloaded')));
  // 5 s requests in a 10 s window: the drain is one latency, not a queue.
  const long = runOf(queuedRun(10, 1000, 10, 5000), 10);
  assert.ok(!long.warnings.some((w) => w.startsWith('overloaded')), long.warnings.join('\n'));
});

test('cached prompt fraction: sum cached / sum input over completed requests that report it; warned above 50 %', () => {
  const hit = (input: number, cached: number) =>
    streamingRecord(1, [5, 6], { inputTokens: input, cachedTokens: cached });
  const none = summarize([streamingRecord(1, [5, 6], { inputTokens: 100 })]);
  assert.equal(none.cached_prompt_fraction, null, 'no request reports cached tokens');
  assert.ok(!none.warnings.some((w) => w.includes('prompt cache')));
  // 90 + 0 cached of 100 + 100 reporting; the non-reporting request's 1000 input tokens do not count.
  const low = summarize([hit(100, 90), hit(100, 0), streamingRecord(1, [5, 6], { inputTokens: 1000 })]);
  assert.equal(low.cached_prompt_fraction, 0.45);
  assert.ok(!low.warnings.some((w) => w.includes('prompt cache')));
  const high = summarize([hit(100, 99), hit(100, 99)]);
  assert.equal(high.cached_prompt_fraction, 0.99);
  assert.ok(
    high.warnings.some((w) => w.startsWith("99 % of prompt tokens were served from the server's prompt cache")),
  );
});
