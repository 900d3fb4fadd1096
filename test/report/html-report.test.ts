/**
 * report.html without a browser: the chart data counts every value the summary counts, bins time
 * and in-flight requests right, samples the scatter reproducibly within its cap, stays small for
 * big runs, and puts outside strings into the page as text only. (The page drawing is in
 * html-browser.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packRecords, RecordBatchList } from '../../src/record/record-batch.js';
import { cdfPlot, cdfPoints } from '../../src/report/html/cdf-chart.js';
import { comparePlots, renderComparePage } from '../../src/report/html/compare-page.js';
import { histogramPlot } from '../../src/report/html/histogram-chart.js';
import { mergeOnX } from '../../src/report/html/plot-spec.js';
import { runReportHtml } from '../../src/report/html/report-html.js';
import { extractRunChartData, FINE_BINS, type ChartRecord } from '../../src/report/html/run-chart-data.js';
import { renderRunPage, runPlots } from '../../src/report/html/run-page.js';
import { renderSweepPage, sweepPlots } from '../../src/report/html/sweep-page.js';
import { asRequestRecords, makeRun, summaryOf } from './html-fixtures.js';

const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);

test('every value is binned: histogram counts are the series counts, ITL zeros apart', () => {
  const run = makeRun(1000, { tokens: 16, errorEvery: 10 });
  const d = extractRunChartData(run.rows, { startNs: run.startNs }).distributions;
  const ok = 900;
  assert.equal(d.ttft.count, ok);
  assert.equal(sum(d.ttft.counts), ok);
  assert.equal(d.ttft.edgesMs.length, FINE_BINS + 1);
  assert.equal(d.latency.count, ok);
  assert.equal(d.tpot.count, ok);
  // 15 gaps per answer, of which k = 4, 8, 12 are 0 (read together).
  assert.equal(d.itl.count, ok * 15);
  assert.equal(d.itl.zeros, ok * 3);
  assert.equal(sum(d.itl.counts), ok * 12);
  // TTFT was made 20–60 ms: the bins span exactly what was seen.
  assert.ok(
    d.ttft.edgesMs[0] >= 20 && d.ttft.edgesMs[FINE_BINS] <= 60.01,
    `${d.ttft.edgesMs[0]}..${d.ttft.edgesMs.at(-1)}`,
  );
  // The CDF ends at 100 % and starts at the share of zeros.
  const itlCdf = cdfPoints(d.itl);
  assert.equal(itlCdf.y[0], 20);
  assert.equal(itlCdf.y.at(-1), 100);
  const h = histogramPlot(d.ttft)!;
  assert.equal(sum(h.series[0].values.slice(0, -1) as number[]), ok);
});

test('the same data from RequestRecords (packed batches) as from plain rows', () => {
  const run = makeRun(300, { errorEvery: 7 });
  const list = new RecordBatchList();
  list.push(packRecords(asRequestRecords(run)));
  const fromRecords = extractRunChartData(list, { startNs: run.startNs, seed: 3 });
  const fromRows = extractRunChartData(run.rows, { startNs: run.startNs, seed: 3 });
  assert.deepEqual(fromRecords, fromRows);
});

test('timeline: completions, errors per bin; requests in flight averaged over each bin', () => {
  const run = makeRun(2000, { seconds: 20, errorEvery: 4 });
  const tl = extractRunChartData(run.rows, { startNs: run.startNs }).timeline;
  assert.equal(tl.binS, 0.1);
  assert.equal(Math.round(sum(tl.completedPerS) * tl.binS), 1500);
  assert.equal(Math.round(sum(tl.errorsPerS) * tl.binS), 500);
  assert.equal(Math.round(sum(tl.tokensPerS) * tl.binS), 1500 * 16);

  // Five requests in flight from 1.05 s to 3.05 s of a 4 s run, 1 s bins forced by a long run.
  const start = 0;
  const rows: ChartRecord[] = Array.from({ length: 5 }, () => ({
    dispatched: 1.05e9,
    sent: 1.05e9,
    firstToken: 1.1e9,
    end: 3.05e9,
    error: '',
    streaming: true,
    outputTokens: 1,
    chunkTimes: [1.1e9],
  }));
  const flight = extractRunChartData(rows, { startNs: start, endNs: 4e9 }).timeline;
  assert.equal(flight.binS, 0.1);
  // Bin 10 is [1.0, 1.1): in flight half of it; bins 11..29 full; bin 30 [3.0, 3.1) half.
  assert.equal(flight.inFlight[9], 0);
  assert.equal(flight.inFlight[10], 2.5);
  assert.equal(flight.inFlight[11], 5);
  assert.equal(flight.inFlight[29], 5);
  assert.equal(flight.inFlight[30], 2.5);
  assert.equal(flight.inFlight[31], 0);
  // A 2-hour run: at most 300 bins, nice widths.
  const long = extractRunChartData(rows, { startNs: start, endNs: 7200e9 }).timeline;
  assert.equal(long.binS, 30);
  assert.ok(long.t.length <= 300);
});

test('scatter: a seeded uniform sample within its cap, ascending in time', () => {
  const run = makeRun(30_000, { seconds: 30, tokens: 2 });
  const a = extractRunChartData(run.rows, { startNs: run.startNs, seed: 7, scatterCap: 5000 }).ttftScatter;
  const b = extractRunChartData(run.rows, { startNs: run.startNs, seed: 7, scatterCap: 5000 }).ttftScatter;
  const c = extractRunChartData(run.rows, { startNs: run.startNs, seed: 8, scatterCap: 5000 }).ttftScatter;
  assert.equal(a.total, 30_000);
  assert.equal(a.tS.length, 5000);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.tS, c.tS);
  for (let i = 1; i < a.tS.length; i++) assert.ok(a.tS[i] >= a.tS[i - 1]);
  // Uniform over time: each third of the run holds about a third of the sample.
  const firstThird = a.tS.filter((t) => t < 10).length;
  assert.ok(firstThird > 1500 && firstThird < 1833, `${firstThird} of 5000 in the first 10 s`);
  // Under the cap: every request.
  const all = extractRunChartData(makeRun(100).rows, { startNs: 1e12 }).ttftScatter;
  assert.equal(all.tS.length, 100);
});

test('a big run gives a page of bounded size (binned, sampled)', () => {
  const small = makeRun(2_000, { seconds: 60 });
  const big = makeRun(100_000, { seconds: 60, tokens: 4 });
  const page = (run: ReturnType<typeof makeRun>) =>
    renderRunPage({
      summary: summaryOf(run),
      context: { model: 'm', endpoints: ['http://x'], mode: 'online', loadPattern: 'poisson', streaming: true },
      charts: extractRunChartData(run.rows, { startNs: run.startNs }),
      configYaml: 'type: online\n',
    });
  const smallBytes = Buffer.byteLength(page(small));
  const bigPage = page(big);
  const bigBytes = Buffer.byteLength(bigPage);
  assert.ok(bigBytes < 1_000_000, `100k records: ${bigBytes} bytes`);
  // The difference is the scatter (2k points vs the 20k cap), not the records.
  assert.ok(bigBytes < smallBytes + 400_000, `${smallBytes} → ${bigBytes} bytes`);
  assert.match(bigPage, /a seeded uniform sample of 20000 of 100000 requests/);
});

test('outside strings go into the page as text: no markup, no script from a model name or an error', () => {
  const run = makeRun(50, { errorEvery: 5 });
  const evil = '</script><script>window.__pwned=1</script>';
  const records = asRequestRecords(run, `HTTP 500: <img src=x onerror="window.__pwned=2"> ${evil}`);
  const html = runReportHtml({
    summary: summaryOf(run, records),
    context: {
      model: evil,
      endpoints: [`http://h/?q=${evil}`],
      mode: 'online',
      loadPattern: 'poisson',
      streaming: true,
    },
    records,
    startNs: run.startNs,
    endNs: run.endNs,
    seed: 1,
    configYaml: `model_params:\n  name: "${evil}</pre><b>x</b>"\n`,
  });
  assert.ok(!html.includes('<img src=x'), 'an error message became markup');
  assert.ok(!html.includes('<script>window.__pwned'), 'a string opened a script');
  assert.ok(!html.includes('</pre><b>'), 'the config closed its <pre>');
  assert.match(html, /&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;/);
  // Only our three scripts (data, uPlot, runtime).
  assert.equal(html.match(/<script/g)?.length, 3);
  // Self-contained: nothing fetched.
  assert.doesNotMatch(html, /<(script|link)[^>]+(src|href)="(https?:)?\/\//);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

test('compare and sweep pages are built from plain data', () => {
  const a = makeRun(500, { ttftMs: 40 });
  const b = makeRun(500, { ttftMs: 80, seed: 2 });
  const runs = [
    { label: 'run A', charts: extractRunChartData(a.rows, { startNs: a.startNs }), summary: summaryOf(a) },
    { label: 'run <B>', charts: extractRunChartData(b.rows, { startNs: b.startNs }), summary: summaryOf(b) },
  ];
  const plots = comparePlots(runs);
  assert.deepEqual(
    plots.map((p) => p.id),
    ['compare-cdf-ttft', 'compare-cdf-tpot', 'compare-cdf-itl', 'compare-cdf-latency', 'throughput-overlay'],
  );
  for (const p of plots) {
    assert.equal(p.series.length, 2);
    for (const s of p.series) assert.equal(s.values.length, p.x.length);
  }
  const html = renderComparePage({ runs, notes: ['TTFT p50 +100 % <beyond noise>'] });
  assert.match(html, /run &lt;B&gt;/);
  assert.match(html, /&lt;beyond noise&gt;/);

  const steps = [1, 2, 4, 8].map((q) => ({
    label: `${q} req/s`,
    offered: q,
    achievedQps: Math.min(q, 5),
    ttftP50Ms: 40 * q,
    ttftP99Ms: 90 * q,
    e2eP50Ms: 200 * q,
    e2eP99Ms: 400 * q,
  }));
  assert.deepEqual(
    sweepPlots(steps).map((p) => [p.id, p.x, p.series.length]),
    [
      ['sweep-ttft', [1, 2, 4, 5], 2],
      ['sweep-e2e', [1, 2, 4, 5], 2],
    ],
  );
  assert.match(renderSweepPage({ steps }), /8 req\/s/);
});

test('mergeOnX puts every series on the union of x values, null where it has none', () => {
  assert.deepEqual(
    mergeOnX([
      { x: [1, 3], y: [10, 30] },
      { x: [2, 3], y: [20, 31] },
    ]),
    {
      x: [1, 2, 3],
      ys: [
        [10, null, 30],
        [null, 20, 31],
      ],
    },
  );
});

test('a run without streaming has no TTFT charts, and the rest still draw', () => {
  const run = makeRun(100);
  for (const r of run.rows) r.streaming = false;
  const charts = extractRunChartData(run.rows, { startNs: run.startNs });
  const ids = runPlots(charts).flatMap((s) => s.plots.map((p) => p.id));
  assert.ok(!ids.includes('hist-ttft') && !ids.includes('ttft-scatter'));
  assert.ok(ids.includes('hist-latency') && ids.includes('throughput'));
  assert.equal(cdfPlot('ttft', [{ label: 'x', distribution: charts.distributions.ttft }]), null);
});
