import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestRecord } from '../../src/record/request-record.js';
import { buildResultSummary, type ResultSummaryInput } from '../../src/metrics/result-summary.js';
import { formatMs, formatSeconds, formatTokens } from '../../src/report/format-units.js';
import { formatReportText, type ReportTextContext } from '../../src/report/report-text.js';

const MS = 1e6;
const BASE = 1e12;

/** A successful record; tests override what they need. */
function record(overrides: Partial<RequestRecord>): RequestRecord {
  return {
    id: 0,
    sampleIndex: 0,
    shard: 0,
    endpoint: 0,
    sourceIp: '',
    streaming: false,
    reused: false,
    scheduled: BASE,
    dispatched: BASE,
    connectStart: NaN,
    connected: BASE,
    sent: BASE,
    headers: Number.NaN,
    firstChunk: Number.NaN,
    firstToken: Number.NaN,
    end: BASE + 200 * MS,
    chunkTimes: new Float64Array(0),
    status: 200,
    error: '',
    errorMessage: '',
    finishReason: 'stop',
    inputTokens: 12,
    outputTokens: 3,
    cachedTokens: -1,
    retries: 0,
    tokenSource: 'usage',
    ...overrides,
  };
}

function streaming(overrides: Partial<RequestRecord> = {}): RequestRecord {
  const chunkTimes = Float64Array.of(BASE + 100 * MS, BASE + 110 * MS, BASE + 125 * MS);
  return record({
    streaming: true,
    firstChunk: chunkTimes[0],
    firstToken: chunkTimes[0],
    end: chunkTimes[2],
    chunkTimes,
    ...overrides,
  });
}

const failure = record({
  status: 503,
  error: 'http_status',
  errorMessage: 'HTTP 503: overloaded\nretry later \u00e9',
  finishReason: '',
});

function summarize(records: RequestRecord[], extra: Partial<ResultSummaryInput> = {}) {
  return buildResultSummary({
    records,
    state: 'complete',
    startNs: BASE,
    endNs: BASE + 1_000 * MS,
    mode: 'online',
    loadPattern: 'poisson',
    ...extra,
  });
}

const context: ReportTextContext = {
  model: 'llama-3-8b',
  endpoints: ['http://10.0.0.1:8000/v1', 'http://10.0.0.2:8000/v1'],
  mode: 'online',
  loadPattern: 'poisson',
  streaming: true,
  reportDir: '/tmp/run-1',
};

function assertPlainAndNarrow(text: string): void {
  for (const line of text.split('\n')) {
    assert.ok(line.length <= 100, `line too long (${line.length}): ${line}`);
    assert.match(line, /^[\x20-\x7e]*$/, `non-ASCII line: ${JSON.stringify(line)}`);
  }
}

test('format-units: ns to ms with sensible decimals, n/a for null', () => {
  assert.equal(formatMs(123_456), '0.123');
  assert.equal(formatMs(12_345_678), '12.35');
  assert.equal(formatMs(1_234_567_890), '1234.6');
  assert.equal(formatMs(98_765_432_100), '98765');
  assert.equal(formatMs(null), 'n/a');
  assert.equal(formatSeconds(60_012_000_000), '60.012');
  assert.equal(formatTokens(12), '12');
  assert.equal(formatTokens(12.25), '12.3');
  assert.equal(formatTokens(null), 'n/a');
});

test('streaming report: header, metric rows with definitions, errors and warnings', () => {
  const summary = summarize([streaming(), streaming(), failure]);
  const text = formatReportText(summary, context);
  assertPlainAndNarrow(text);

  assert.match(text, /model:\s+llama-3-8b/);
  assert.match(text, /endpoints:\s+http:\/\/10\.0\.0\.1:8000\/v1\n\s+http:\/\/10\.0\.0\.2:8000\/v1/);
  assert.match(text, /mode:\s+online \/ poisson, streaming on/);
  assert.match(text, /state:\s+complete/);
  assert.match(text, /duration:\s+1\.000 s/);
  assert.match(text, /requests:\s+3 issued, 2 completed, 1 failed/);
  assert.match(text, /throughput:\s+2\.00 req\/s, 6\.00 output tokens\/s/);
  assert.match(text, /report dir:\s+\/tmp\/run-1/);

  // Column header and a row: TTFT 100 ms everywhere.
  assert.match(text, /time \(ms\)\s+avg\s+min\s+p50\s+p90\s+p95\s+p99\s+p99\.9\s+max/);
  assert.match(text, /^TTFT(\s+100\.0){8}$/m);
  // TPOT (125 - 100) / 2 = 12.5 ms. ITL gaps 10 and 15 ms from each record: sorted
  // [10, 10, 15, 15], p50 = index floor(0.5 x 3) = 1 -> 10, p90 = floor(0.9 x 3) = 2 -> 15.
  assert.match(text, /^TPOT(\s+12\.50){8}$/m);
  assert.match(text, /^ITL\s+12\.50\s+10\.00\s+10\.00(\s+15\.00){5}$/m);
  assert.match(text, /^E2E latency(\s+125\.0){8}$/m);
  assert.match(text, /^client wait(\s+0\.000){8}$/m);
  assert.match(text, /^tokens\s+avg/m);
  assert.match(text, /^ISL(\s+12){8}$/m);
  assert.match(text, /^OSL(\s+3){8}$/m);

  // Definitions, exactly these meanings.
  assert.match(text, /TTFT.*\n.*first token - request sent/);
  assert.match(text, /TPOT.*\n.*\(end - first token\) \/ \(output tokens - 1\)/);
  assert.match(text, /ITL.*\n.*gap between consecutive token-bearing chunks/);
  assert.match(text, /E2E latency.*\n.*end - request sent/);
  assert.match(text, /client wait.*\n.*request sent - scheduled send time \(reported apart; not part of TTFT\)/);

  assert.match(text, /finish reasons\n\s+stop\s+2/);
  // Errors block: code, count, example (newline and non-ASCII flattened).
  assert.match(
    text,
    /errors\n\s+code\s+count\s+example\n\s+http_status 503\s+1\n\s+HTTP 503: overloaded retry later \?/,
  );

  // Warnings are the visible last block.
  const lines = text.trimEnd().split('\n');
  assert.match(lines.at(-1)!, /^!+$/);
  assert.ok(lines.some((l) => l.startsWith('WARNING: 1 of 3 requests failed; see errors.')));
  assert.doesNotMatch(text, /need --streaming on/);
});

test('non-streaming report: TTFT/TPOT/ITL are n/a with a note', () => {
  const summary = summarize([record({}), record({})]);
  const text = formatReportText(summary, { ...context, streaming: false });
  assertPlainAndNarrow(text);
  assert.match(text, /^TTFT\s+n\/a$/m);
  assert.match(text, /^TPOT\s+n\/a$/m);
  assert.match(text, /^ITL\s+n\/a$/m);
  assert.match(text, /^E2E latency(\s+200\.0){8}$/m);
  assert.match(text, /TTFT\/TPOT\/ITL need --streaming on/);
  assert.match(text, /errors: none/);
  assert.doesNotMatch(text, /WARNING/);
});

test('offline report notes that client wait includes connection waits', () => {
  const summary = summarize([record({ sent: BASE + 40 * MS, end: BASE + 240 * MS })], {
    mode: 'offline',
    loadPattern: 'offline',
  });
  const text = formatReportText(summary, { ...context, mode: 'offline', loadPattern: 'offline' });
  assertPlainAndNarrow(text);
  assert.match(text, /client wait includes waiting for a free\s+connection/);
  assert.doesNotMatch(text, /WARNING: client wait/);
});

test('long warnings wrap, long values are cut, all within 100 columns', () => {
  const records = Array.from({ length: 10 }, (_, i) => streaming({ scheduled: BASE - 80 * MS, id: i }));
  const summary = summarize(records, { state: 'interrupted' });
  const text = formatReportText(summary, {
    ...context,
    endpoints: ['http://example.com/' + 'x'.repeat(200)],
    reportDir: undefined,
  });
  assertPlainAndNarrow(text);
  assert.match(
    text,
    /WARNING: client wait p99 80\.00 ms \(connect time excluded\) is not small next to TTFT\s+median\s+100\.00\s+ms/,
  );
  assert.match(text, /WARNING: run interrupted/);
  assert.match(text, /state:\s+interrupted \(partial run\)/);
  assert.match(text, /\.\.\.$/m);
  assert.doesNotMatch(text, /report dir/);
});

test('errors: one row per status, each example whole on its own lines, wrapped at words (never cut mid-word)', () => {
  const long = 'word'.repeat(1) + ' ' + Array.from({ length: 40 }, (_, i) => `part${i}`).join(' ');
  const failed = (status: number, message: string) =>
    record({ status, error: 'http_status', errorMessage: message, finishReason: '' });
  const summary = summarize([
    failed(429, 'HTTP 429 from http://10.0.0.1:8000/v1 (Retry-After: 7): rate limited'),
    failed(429, 'HTTP 429 from http://10.0.0.1:8000/v1 (Retry-After: 7): rate limited'),
    failed(500, `HTTP 500 from http://10.0.0.1:8000/v1: ${long}`),
    failed(503, 'HTTP 503 from http://10.0.0.1:8000/v1 (Retry-After: 30): overloaded'),
  ]);
  const text = formatReportText(summary, context);
  assertPlainAndNarrow(text);
  assert.match(text, /^\s+http_status 429\s+2\n\s+HTTP 429 .*\(Retry-After: 7\): rate limited$/m);
  assert.match(text, /^\s+http_status 503\s+1\n\s+HTTP 503 .*\(Retry-After: 30\): overloaded$/m);
  const errors = text.slice(text.indexOf('\nerrors\n'), text.indexOf('!!!'));
  // Every word of the long example is there, none cut ("..."), and no line breaks a word.
  for (let i = 0; i < 40; i++) assert.match(errors, new RegExp(`\\bpart${i}\\b`));
  assert.doesNotMatch(errors, /\.\.\./);
});

test('connection reuse is reported: reused and new counts, connect time', () => {
  const fresh = streaming({ connectStart: BASE - 3 * MS, connected: BASE, scheduled: BASE - 3 * MS });
  const summary = summarize([fresh, streaming({ reused: true }), streaming({ reused: true })]);
  const text = formatReportText(summary, context);
  assertPlainAndNarrow(text);
  assert.match(text, /connections: 2 requests reused a connection, 1 opened a new one\n/);
  assert.match(text, /^connect(\s+3\.00){8}$/m);
  // A request on a connection opened before the clock, and the server's closes, when known.
  const warm = summarize([fresh, streaming({ reused: true }), streaming({})], { serverClosedConnections: 2 });
  assert.match(
    formatReportText(warm, context),
    /connections: 1 requests reused a connection, 1 opened a new one\n {2}1 more were the first on a connection opened before the clock started\n {2}the server closed 2 connections it had kept alive\n/,
  );
  assert.match(text, /^ {2}queued(\s+0\.000){8}$/m);
});
