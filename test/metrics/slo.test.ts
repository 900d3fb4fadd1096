import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResultSummary } from '../../src/metrics/result-summary.js';
import { computeGoodput, evaluateSlos, parseSlo, type Slo } from '../../src/metrics/slo.js';
import { sloListSchema } from '../../src/metrics/slo-option.js';
import { streamedRecord } from './record-fixture.js';

const MS = 1e6;

function slos(...texts: string[]): Slo[] {
  return texts.map((t) => {
    const s = parseSlo(t);
    assert.ok(typeof s !== 'string', String(s));
    return s;
  });
}

test('parses per-request and run SLOs; a bare number is ms', () => {
  assert.deepEqual(parseSlo('ttft:200ms'), { kind: 'request', text: 'ttft:200ms', metric: 'ttft', limitNs: 200 * MS });
  assert.deepEqual(parseSlo('e2e:10s'), { kind: 'request', text: 'e2e:10s', metric: 'e2e', limitNs: 10_000 * MS });
  assert.deepEqual(parseSlo('itl-max:50'), {
    kind: 'request',
    text: 'itl-max:50',
    metric: 'itl-max',
    limitNs: 50 * MS,
  });
  assert.deepEqual(parseSlo('p99(ttft)<=500ms'), {
    kind: 'run',
    text: 'p99(ttft)<=500ms',
    metric: 'ttft',
    statistic: '99.0',
    op: '<=',
    limitNs: 500 * MS,
  });
  assert.deepEqual(parseSlo('p99.9(e2e)<2s'), {
    kind: 'run',
    text: 'p99.9(e2e)<2s',
    metric: 'e2e',
    statistic: '99.9',
    op: '<',
    limitNs: 2000 * MS,
  });
  assert.equal((parseSlo('avg(tpot)<=40ms') as { statistic: string }).statistic, 'avg');
});

test('bad SLOs say what is accepted', () => {
  assert.match(parseSlo('latency:1s') as string, /per-request SLOs are ttft, tpot, itl-max, e2e/);
  assert.match(parseSlo('ttft:fast') as string, /not a duration/);
  assert.match(parseSlo('p98(ttft)<=1s') as string, /not on the percentile grid/);
  assert.match(parseSlo('p99(ttft)>=1s') as string, /is not an SLO/);
  const r = sloListSchema.safeParse(['ttft:200ms,tpot:50ms', 'bogus']);
  assert.equal(r.success, false);
  const ok = sloListSchema.parse(['ttft:200ms,tpot:50ms', 'p99(ttft)<=500ms']);
  assert.deepEqual(
    ok.map((s) => s.text),
    ['ttft:200ms', 'tpot:50ms', 'p99(ttft)<=500ms'],
  );
});

test("goodput as vLLM: good = completed and meets every SLO; a one-token answer's TPOT is 0", () => {
  const base = 1e12;
  const records = [
    // TTFT 100 ms, TPOT (160 - 100) / 3 = 20 ms, gaps 20: good.
    streamedRecord(0, base, [100 * MS, 120 * MS, 140 * MS, 160 * MS]),
    // TTFT 300 ms: misses ttft.
    streamedRecord(1, base, [300 * MS, 310 * MS]),
    // TTFT 100 ms, TPOT (400 - 100) / 1 = 300 ms: misses tpot.
    streamedRecord(2, base, [100 * MS, 400 * MS]),
    // One token, TTFT 150 ms: TPOT 0, good.
    streamedRecord(3, base, [150 * MS]),
    // Failed: never good.
    streamedRecord(4, base, [50 * MS], { error: 'http_status', status: 500 }),
  ];
  const g = computeGoodput(records, slos('ttft:200ms', 'tpot:50ms'), 2000 * MS)!;
  assert.equal(g.n_good, 2);
  assert.equal(g.fraction, 2 / 5);
  assert.equal(g.request_rate, 1); // 2 good in 2 s
  assert.equal(g.output_token_rate, (4 + 1) / 2);
  assert.deepEqual(g.slos, ['ttft:200ms', 'tpot:50ms']);
  // itl-max 25 ms: record 0 (gaps 20) and 3 (no gap) meet it; 1 has a 10 ms gap too.
  assert.equal(computeGoodput(records, slos('itl-max:25ms'), 2000 * MS)!.n_good, 3);
  // e2e only, non-streaming records count too.
  assert.equal(computeGoodput(records, slos('e2e:350ms'), 2000 * MS)!.n_good, 3);
  assert.equal(computeGoodput(records, slos('p99(ttft)<=1s'), 2000 * MS), null);
});

test('a TTFT SLO is not met by a non-streaming request (TTFT was not measured)', () => {
  const r = streamedRecord(0, 1e12, [10 * MS], { streaming: false });
  assert.equal(computeGoodput([r], slos('ttft:1s'), 1e9)!.n_good, 0);
  assert.equal(computeGoodput([r], slos('e2e:1s'), 1e9)!.n_good, 1);
});

test('evaluateSlos checks run SLOs against the summary; the summary carries goodput and slo', () => {
  const records = Array.from({ length: 100 }, (_, i) => streamedRecord(i, 1e12, [(i + 1) * MS, (i + 2) * MS]));
  const list = slos('ttft:50ms', 'p99(ttft)<=100ms', 'p50(ttft)<50ms', 'avg(tpot)<=1ms');
  const s = buildResultSummary({
    records,
    state: 'complete',
    startNs: 1e12,
    endNs: 1e12 + 1000 * MS,
    mode: 'online',
    slos: list,
  });
  assert.equal(s.goodput!.n_good, 50);
  assert.equal(s.goodput!.request_rate, 50);
  // p99 lower of 1..100 ms = sample 99 → 99 ms ≤ 100 ms; p50 = 50 ms, not < 50 ms; avg TPOT 1 ms ≤ 1 ms.
  assert.deepEqual(
    s.slo!.checks.map((c) => [c.slo, c.value, c.passed]),
    [
      ['p99(ttft)<=100ms', 99 * MS, true],
      ['p50(ttft)<50ms', 50 * MS, false],
      ['avg(tpot)<=1ms', 1 * MS, true],
    ],
  );
  assert.equal(s.slo!.passed, false);
  assert.deepEqual(evaluateSlos(s, slos('p99(ttft)<=100ms')), { passed: true, checks: [s.slo!.checks[0]] });
  // No samples: the check fails (nothing shows the objective held).
  const empty = buildResultSummary({ records: [], state: 'complete', startNs: 0, endNs: 1, mode: 'online' });
  assert.equal(evaluateSlos(empty, slos('p99(ttft)<=1s')).passed, false);
  assert.equal(evaluateSlos(empty, []).passed, true);
});
