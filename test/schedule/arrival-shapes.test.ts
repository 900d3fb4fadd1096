import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BadInputError } from '../../src/errors.js';
import { SeededRandom } from '../../src/dataset/seeded-random.js';
import { monotonicNs } from '../../src/record/clock.js';
import { shareOf } from '../../src/run/shard-split.js';
import { arrivalTimesFor, rampSlotOpenings, shardArrivalPlan } from '../../src/schedule/arrival-shape.js';
import { readArrivalTrace, traceOffsetsNs } from '../../src/schedule/arrival-trace.js';
import { ConcurrencySchedule } from '../../src/schedule/concurrency-schedule.js';
import { GammaGaps } from '../../src/schedule/interarrival-gaps.js';
import { PoissonSchedule } from '../../src/schedule/poisson-schedule.js';
import { OffsetArrivals, RateArrivals } from '../../src/schedule/rate-arrivals.js';
import { TRACE_BLOCK_TOKENS, traceSamples } from '../../src/schedule/trace-prompts.js';

// ── Kolmogorov–Smirnov: the statistic, its critical value, and the CDFs under test ──

/** D = sup |F_n(x) − F(x)| over sorted samples. */
function ksStatistic(sorted: Float64Array, cdf: (x: number) => number): number {
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** The asymptotic critical value at level alpha: sqrt(−ln(alpha / 2) / 2) / sqrt(n) (1.628 / √n at 0.01). */
function ksCritical(n: number, alpha: number): number {
  return Math.sqrt(-Math.log(alpha / 2) / 2) / Math.sqrt(n);
}

/** ln Γ(x), Lanczos (g = 7, 9 terms): ~1e-15 relative. */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized lower incomplete gamma P(a, x): series below a + 1, continued fraction above (Numerical Recipes). */
function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  const lnPre = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return sum * Math.exp(lnPre);
  }
  let b = x + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return 1 - Math.exp(lnPre) * h;
}

test('the KS helpers: gammaP matches closed forms, the critical value is the tabled one', () => {
  for (const x of [0.01, 0.5, 1, 2, 7]) assert.ok(Math.abs(gammaP(1, x) - (1 - Math.exp(-x))) < 1e-12);
  // P(2, x) = 1 − e^−x (1 + x)
  for (const x of [0.1, 1, 3, 10]) assert.ok(Math.abs(gammaP(2, x) - (1 - Math.exp(-x) * (1 + x))) < 1e-12);
  // P(1/2, x) = erf(√x): erf(1) = 0.8427007929497149
  assert.ok(Math.abs(gammaP(0.5, 1) - 0.8427007929497149) < 1e-12);
  assert.ok(Math.abs(ksCritical(1, 0.01) - 1.6276) < 1e-4);
});

/** Every shard's arrivals (as shard-runner would make them), merged: the gaps of the whole run. */
function mergedGaps(
  make: (shard: number, shards: number) => { nextGapNs(): number },
  shards: number,
  total: number,
): Float64Array {
  const all = new Float64Array(total);
  let k = 0;
  for (let i = 0; i < shards; i++) {
    const arrivals = make(i, shards);
    let t = 0;
    for (let j = 0; j < shareOf(total, shards, i); j++) {
      t += arrivals.nextGapNs();
      all[k++] = t;
    }
  }
  all.sort();
  const gaps = new Float64Array(total);
  for (let i = 0; i < total; i++) gaps[i] = all[i] - (i === 0 ? 0 : all[i - 1]);
  return gaps.sort();
}

const N = 100_000;
const QPS = 1000;
const SEED = 42;

function planFor(pattern: 'poisson' | 'constant', burstiness: number, rampUp = 0) {
  return (shard: number, shards: number) =>
    arrivalTimesFor(
      shardArrivalPlan(
        { loadPattern: pattern, targetQps: QPS, burstiness, rampUp, timeScale: 1 },
        null,
        shard,
        shards,
      )!,
      SEED,
      shard,
      shards,
    );
}

for (const [burstiness, shards] of [
  [1, 4],
  [0.5, 4],
  [4, 3],
] as const) {
  test(`${burstiness === 1 ? 'poisson' : `gamma k=${burstiness}`}: 100k arrivals merged over ${shards} shards pass KS at α = 0.01`, () => {
    const gaps = mergedGaps(planFor('poisson', burstiness), shards, N);
    // Gamma(k, θ = 1/(rate·k)) in ns: P(k, x · rate · k / 1e9).
    const d = ksStatistic(gaps, (x) => gammaP(burstiness, (x * QPS * burstiness) / 1e9));
    assert.ok(d < ksCritical(N, 0.01), `D = ${d}, critical ${ksCritical(N, 0.01)}`);
  });
}

test('KS rejects what the shards would make as independent gamma streams (why they share one sequence)', () => {
  // 4 independent gamma(k = 4) streams at rate/4 each: the merged gaps are not gamma(4) at the rate.
  const shards = 4;
  const gaps = mergedGaps(
    (i) => new RateArrivals(new GammaGaps(SeededRandom.derive(SEED, i), 4), QPS / shards, 0, 1),
    shards,
    N,
  );
  const d = ksStatistic(gaps, (x) => gammaP(4, (x * QPS * 4) / 1e9));
  assert.ok(d > 10 * ksCritical(N, 0.01), `D = ${d}`);
});

test('constant: every merged gap is exactly 1/rate, whatever the shard count', () => {
  for (const shards of [1, 3, 8]) {
    const gaps = mergedGaps(planFor('constant', 1), shards, 10_000);
    for (const g of gaps) assert.ok(Math.abs(g - 1e9 / QPS) < 1e-3, `gap ${g} ns with ${shards} shards`);
  }
});

test('ramp-up: the rate rises linearly from 0 to the target, then holds (constant gaps show it exactly)', () => {
  const rampMs = 10_000;
  const shards = 3;
  const make = planFor('constant', 1, rampMs);
  const times: number[] = [];
  for (let i = 0; i < shards; i++) {
    const a = make(i, shards);
    let t = 0;
    for (let j = 0; j < shareOf(15_000, shards, i); j++) times.push((t += a.nextGapNs()));
  }
  times.sort((a, b) => a - b);
  const T = rampMs * 1e6;
  for (let k = 1; k < times.length; k++) {
    const t = times[k];
    const rate = 1e9 / (t - times[k - 1]);
    if (t < 0.1 * T) continue;
    // Instantaneous rate λ·t/T during the ramp, λ after it.
    const expected = t < T ? (QPS * t) / T : QPS;
    assert.ok(Math.abs(rate - expected) / expected < 0.01, `rate ${rate} at ${t / 1e9} s, expected ${expected}`);
  }
  // Arrivals by the end of the ramp: λT/2.
  const byT = times.filter((t) => t <= T).length;
  assert.ok(Math.abs(byT - (QPS * rampMs) / 2000) <= 1, `${byT} arrivals by the end of the ramp`);
});

test('ramp-up with concurrency: slots open on a linear staircase, each shard its share', () => {
  const C = 10;
  const shards = 3;
  const all: number[] = [];
  for (let i = 0; i < shards; i++) {
    const own = rampSlotOpenings(C, 1e9, i, shards);
    assert.equal(own.length, shareOf(C, shards, i));
    all.push(...own);
  }
  all.sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: C }, (_, j) => (1e9 * j) / C),
  );
});

test('concurrency schedule with a ramp: slots open at their times, never early, then replace as they finish', async () => {
  const issued: { scheduled: number; at: number }[] = [];
  const opens = [0, 40e6, 80e6, 120e6];
  const s = new ConcurrencySchedule(
    { issue: (t) => issued.push({ scheduled: t, at: monotonicNs() }) },
    { maxRequests: 6, durationNs: Infinity },
    4,
    opens,
  );
  const start = monotonicNs();
  s.start(start);
  assert.equal(issued.length, 1, 'one slot at the start');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(
    issued.map((x) => x.scheduled - start),
    opens,
  );
  for (const x of issued) assert.ok(x.at >= x.scheduled, 'never before its opening');
  s.onRequestFinished();
  s.onRequestFinished();
  assert.equal(issued.length, 6);
  assert.equal(s.exhausted, true);
});

// ── trace replay ──

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llm-loadgen-trace-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('trace: plain send times and Mooncake JSONL, relative to the first, sorted, scaled', async () => {
  await withTempDir(async (dir) => {
    const plain = path.join(dir, 'times.txt');
    await writeFile(plain, '# send times\n100.5\n100\n\n101.25\n');
    const t = await readArrivalTrace(plain);
    assert.equal(t.hasLengths, false);
    assert.deepEqual(traceOffsetsNs(t, 1), [0, 0.5e9, 1.25e9]);
    assert.deepEqual(traceOffsetsNs(t, 2, 2), [0, 1e9]);

    const mooncake = path.join(dir, 'trace.jsonl');
    await writeFile(
      mooncake,
      [
        { timestamp: 0, input_length: 1000, output_length: 7, hash_ids: [1, 2] },
        { timestamp: 30, input_length: 600, output_length: 3, hash_ids: [1, 3] },
        { timestamp: 10, input_length: 5, output_length: 1 },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const m = await readArrivalTrace(mooncake);
    assert.equal(m.hasLengths, true);
    assert.deepEqual(traceOffsetsNs(m, 1), [0, 10e6, 30e6]);
    const samples = traceSamples(m, 7);
    assert.deepEqual(
      samples.map((s) => s.prompt.split(' ').length),
      [1000, 5, 600],
    );
    assert.deepEqual(
      samples.map((s) => s.maxOutputTokens),
      [7, 1, 3],
    );
    // Rows 0 and 2 (times 0 and 30) share block 1: the first 512 words are the same text.
    const prefix = (s: string) => s.split(' ').slice(0, TRACE_BLOCK_TOKENS).join(' ');
    assert.equal(prefix(samples[0].prompt), prefix(samples[2].prompt));
    assert.notEqual(
      samples[0].prompt.split(' ').slice(512).join(' '),
      samples[2].prompt.split(' ').slice(512, 1000).join(' '),
    );
  });
});

test('trace: bad lines exit 2 naming file:line', async () => {
  await withTempDir(async (dir) => {
    const cases: [string, string, RegExp][] = [
      ['a.txt', '1\n2\nsoon\n', /a\.txt:3: "soon" is not a send time/],
      ['b.jsonl', '{"timestamp": 1}\n{"timestamp": "x"}\n', /b\.jsonl:2: timestamp must be a number/],
      ['c.jsonl', '{"timestamp": 1, "output_length": 0}\n', /c\.jsonl:1: output_length must be at least 1/],
      ['d.txt', '\n# nothing\n', /no send times/],
    ];
    for (const [name, text, message] of cases) {
      const file = path.join(dir, name);
      await writeFile(file, text);
      await assert.rejects(readArrivalTrace(file), (err: unknown) => {
        assert.ok(err instanceof BadInputError);
        assert.equal(err.code, 'trace_file_invalid');
        assert.match(err.message, message);
        return true;
      });
    }
    await assert.rejects(readArrivalTrace(path.join(dir, 'missing.txt')), /cannot read the file \(ENOENT\)/);
  });
});

test('trace over shards: every time sent once, by the shard that owns it, at its time', async () => {
  const offsets = Array.from({ length: 20 }, (_, i) => i * 3e6);
  const shards = 3;
  const sent: number[] = [];
  const start = monotonicNs() + 2e6;
  await Promise.all(
    Array.from({ length: shards }, (_, i) => {
      const plan = shardArrivalPlan(
        { loadPattern: 'trace', burstiness: 1, rampUp: 0, timeScale: 1 },
        offsets,
        i,
        shards,
      )!;
      const s = new PoissonSchedule(
        { issue: (t) => (assert.ok(monotonicNs() >= t, 'never early'), sent.push(t - start)) },
        { maxRequests: plan.traceOffsetsNs!.length, durationNs: Infinity },
        new OffsetArrivals(plan.traceOffsetsNs!),
      );
      return new Promise<void>((resolve) => {
        s.onExhausted = resolve;
        s.start(start);
      });
    }),
  );
  sent.sort((a, b) => a - b);
  assert.equal(sent.length, offsets.length);
  for (let i = 0; i < offsets.length; i++) assert.ok(Math.abs(sent[i] - offsets[i]) < 1e-3);
});
