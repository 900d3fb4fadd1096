/**
 * report.html in a real browser: Debian's chromium (installed by scripts/ensure-chromium.sh when
 * missing) driven by playwright-core. A short benchmark against the mock writes the page; the
 * browser loads it from file:// and the test fails on any console message of type error, any
 * page error, or a chart that drew nothing — each chart's canvas must hold pixels of each of its
 * series' colours. The compare and sweep pages, made from plain data, are checked the same way.
 * Screenshots go to the test's temp dir, and one to docs/img/report-html.png.
 *
 * Without a browser (no root to install it, not Debian) the test skips, saying why, loudly.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { renderComparePage } from '../../src/report/html/compare-page.js';
import { extractRunChartData } from '../../src/report/html/run-chart-data.js';
import { renderSweepPage } from '../../src/report/html/sweep-page.js';
import { runBenchmark } from '../../src/run/run-benchmark.js';
import { startMockServer } from '../../src/servers/mock-openai-server.js';
import { MockAnswerKey } from '../../src/servers/mock-answers.js';
import { compareAccuracy } from '../../src/store/accuracy-compare.js';
import type { AccuracyResult } from '../../src/accuracy/accuracy-result.js';
import { PROJECT_ROOT } from '../cli/cli-process.js';
import { makeRun, summaryOf } from './html-fixtures.js';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const DOCS_SCREENSHOT = path.join(PROJECT_ROOT, 'docs', 'img', 'report-html.png');

/** The browser's path, or why there is none. */
function ensureChromium(): { path: string } | { reason: string } {
  const r = spawnSync('sh', [path.join(PROJECT_ROOT, 'scripts', 'ensure-chromium.sh')], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status === 0) return { path: r.stdout.trim().split('\n').at(-1)! };
  // The script's last line says why (the ones before are its progress).
  return { reason: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').at(-1)! };
}

const browser = ensureChromium();
const skip = 'reason' in browser ? `chromium is not available: ${browser.reason}` : false;
if (skip) {
  const bar = '!'.repeat(100);
  process.stderr.write(`\n${bar}\nBROWSER TEST OF report.html SKIPPED: ${skip}\n${bar}\n\n`);
}

let tmp = '';
let context: BrowserContext | null = null;

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'llm-loadgen-html-'));
  if (skip) return;
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: (browser as { path: string }).path,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
    offline: true,
  });
});

after(async () => {
  await context?.close();
  // KEEP_HTML_TEST=1 keeps the pages and screenshots to look at.
  if (process.env.KEEP_HTML_TEST === '1') process.stderr.write(`report.html test files kept in ${tmp}\n`);
  else await rm(tmp, { recursive: true, force: true });
});

/** The little of the DOM the page checks use (the project's TypeScript has no DOM library). */
interface PageGlobals {
  __charts: Record<string, ChartInfo>;
  __chartsReady?: boolean;
  __pwned?: number;
  document: {
    querySelectorAll(s: string): ArrayLike<{
      id: string;
      querySelector(s: string): {
        width: number;
        height: number;
        getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
      } | null;
    }>;
  };
}

interface ChartInfo {
  series: number;
  points: number;
  colors: string[];
  draws: number;
}

/** Loads `file`, waits for the charts; every console error and page error is collected. */
async function openPage(file: string): Promise<{ page: Page; problems: string[] }> {
  const page = await context!.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`network request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__chartsReady === true, null, {
    timeout: 20_000,
  });
  return { page, problems };
}

/** Per chart: what the runtime says it drew, and the pixels of each series' colour on its canvas. */
async function inspectCharts(page: Page): Promise<{ id: string; info: ChartInfo | undefined; pixels: number[] }[]> {
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    const charts = g.__charts;
    return Array.from(g.document.querySelectorAll('figure.chart')).map((figure) => {
      const id = figure.id.replace(/^plot-/, '');
      const info = charts[id];
      const canvas = figure.querySelector('canvas');
      const pixels: number[] = [];
      if (info !== undefined && canvas !== null) {
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (const color of info.colors) {
          const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
          let n = 0;
          for (let p = 0; p < data.length; p += 4) {
            if (Math.abs(data[p] - r) < 24 && Math.abs(data[p + 1] - g) < 24 && Math.abs(data[p + 2] - b) < 24) n++;
          }
          pixels.push(n);
        }
      }
      return { id, info, pixels };
    });
  });
}

function assertEveryChartDrew(charts: Awaited<ReturnType<typeof inspectCharts>>, expected: string[]): void {
  assert.deepEqual(
    charts.map((c) => c.id),
    expected,
  );
  for (const c of charts) {
    assert.ok(c.info !== undefined, `${c.id}: the runtime did not draw it`);
    assert.ok(c.info.draws >= 1, `${c.id}: never drawn`);
    assert.ok(c.info.points > 0, `${c.id}: no values`);
    c.pixels.forEach((n, i) => assert.ok(n >= 20, `${c.id}: series ${i} (${c.info!.colors[i]}) has ${n} pixels`));
  }
}

test(
  'report.html of a real run: every chart draws, no console error, no network, strings stay text',
  { skip, timeout: 120_000 },
  async () => {
    const server = await startMockServer({
      ttftMs: 15,
      itlMs: 2,
      outputTokens: 24,
      fault: 'status-500',
      faultEvery: 11,
    });
    const dir = path.join(tmp, 'run');
    try {
      const sink = new PassThrough();
      sink.resume();
      const result = await runBenchmark(
        {
          mode: 'online',
          endpoints: [server.url],
          model: 'mock</script><script>window.__pwned=1</script>',
          loadPattern: 'poisson',
          targetQps: 150,
          duration: '3s',
          streaming: 'on',
          maxOutputTokens: 24,
          workers: 1,
          reportDir: dir,
        },
        { out: sink, err: sink as unknown as NodeJS.WriteStream, handleSignals: false },
      );
      assert.equal(result.exitCode, 0);
    } finally {
      await server.close();
    }
    const file = path.join(dir, REPORT_FILES.html);
    const html = await readFile(file, 'utf8');
    const { page, problems } = await openPage(file);
    const charts = await inspectCharts(page);
    assert.deepEqual(problems, []);
    assertEveryChartDrew(charts, [
      'hist-ttft',
      'cdf-ttft',
      'hist-tpot',
      'cdf-tpot',
      'hist-itl',
      'cdf-itl',
      'hist-latency',
      'cdf-latency',
      'throughput',
      'tokens',
      'in-flight',
      'errors',
      'ttft-scatter',
    ]);
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).__pwned), undefined);
    assert.match(await page.locator('h1').innerText(), /mock<\/script><script>window.__pwned=1<\/script>/);
    assert.ok(Buffer.byteLength(html) < 1_000_000, `${Buffer.byteLength(html)} bytes`);

    await page.screenshot({ path: path.join(tmp, 'report-html-full.png'), fullPage: true });
    // The committed one: the charts at a width that fits three to a row, so it stays small.
    await page.setViewportSize({ width: 1800, height: 1000 });
    await page.waitForTimeout(100);
    const shot = path.join(tmp, 'report-html.png');
    await page.locator('#charts').screenshot({ path: shot });
    await mkdir(path.dirname(DOCS_SCREENSHOT), { recursive: true });
    await copyFile(shot, DOCS_SCREENSHOT);
    await page.close();
  },
);

test(
  'compare and sweep pages from plain data: every chart draws, no console error',
  { skip, timeout: 60_000 },
  async () => {
    const a = makeRun(2000, { ttftMs: 40, seconds: 20 });
    const b = makeRun(2000, { ttftMs: 70, itlMs: 14, seconds: 20, seed: 2, errorEvery: 9 });
    const compare = path.join(tmp, 'compare.html');
    await writeFile(
      compare,
      renderComparePage({
        runs: [
          { label: 'baseline', charts: extractRunChartData(a.rows, { startNs: a.startNs }), summary: summaryOf(a) },
          { label: 'candidate', charts: extractRunChartData(b.rows, { startNs: b.startNs }), summary: summaryOf(b) },
        ],
      }),
    );
    let opened = await openPage(compare);
    let charts = await inspectCharts(opened.page);
    assert.deepEqual(opened.problems, []);
    assertEveryChartDrew(charts, [
      'compare-cdf-ttft',
      'compare-cdf-tpot',
      'compare-cdf-itl',
      'compare-cdf-latency',
      'throughput-overlay',
    ]);
    for (const c of charts) assert.equal(c.info!.series, 2, `${c.id}: one line per run`);
    await opened.page.screenshot({ path: path.join(tmp, 'compare.png'), fullPage: true });
    await opened.page.close();

    const sweep = path.join(tmp, 'sweep.html');
    const steps = [2, 4, 8, 12, 16, 20].map((q) => ({
      label: `${q} req/s`,
      offered: q,
      achievedQps: Math.min(q, 14) - (q > 14 ? (q - 14) * 0.2 : 0),
      ttftP50Ms: 30 + (q > 12 ? (q - 12) ** 2 * 20 : q),
      ttftP99Ms: 60 + (q > 12 ? (q - 12) ** 2 * 45 : 2 * q),
      e2eP50Ms: 300 + q * 10,
      e2eP99Ms: 500 + q * 30,
    }));
    await writeFile(sweep, renderSweepPage({ steps }));
    opened = await openPage(sweep);
    charts = await inspectCharts(opened.page);
    assert.deepEqual(opened.problems, []);
    assertEveryChartDrew(charts, ['sweep-ttft', 'sweep-e2e']);
    await opened.page.screenshot({ path: path.join(tmp, 'sweep.png'), fullPage: true });
    await opened.page.close();
  },
);

test(
  'report.html of a --mode both run and a compare page: the accuracy section renders, no console error',
  { skip, timeout: 120_000 },
  async () => {
    // 12 GPQA-shaped rows (a dataset name that is markup, to check it stays text), 3 of 4 answered right.
    const rows = Array.from({ length: 12 }, (_, i) => ({
      question: `Which option is right in case ${i}?`,
      ground_truth: 'ABCD'[i % 4],
    }));
    const file = path.join(tmp, 'acc-rows.jsonl');
    await writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const key = new MockAnswerKey({
      rows: rows.map((r) => ({ prompt: r.question, truth: r.ground_truth })),
      rightFraction: 0.75,
      seed: 1,
      style: 'abcd',
    });
    const server = await startMockServer({ ttftMs: 2, itlMs: 1, outputTokens: 8, answers: key });
    const dir = path.join(tmp, 'acc-run');
    try {
      const sink = new PassThrough();
      sink.resume();
      const result = await runBenchmark(
        {
          mode: 'online',
          endpoints: [server.url],
          model: 'mock',
          loadPattern: 'concurrency',
          concurrency: 2,
          numSamples: 40,
          // 16 tokens: the perf phase stays short; every mock answer (8 words) fits.
          maxOutputTokens: 16,
          streaming: 'on',
          workers: 1,
          testMode: 'both',
          dataset: [
            {
              name: 'gpqa<b>x</b>',
              type: 'accuracy',
              path: file,
              accuracy_config: { eval_method: 'pass_at_1', extractor: 'abcd_extractor' },
            },
          ],
          reportDir: dir,
          resultsDb: path.join(tmp, 'acc.duckdb'),
        },
        { out: sink, err: sink as unknown as NodeJS.WriteStream, handleSignals: false },
      );
      assert.equal(result.exitCode, 0);
    } finally {
      await server.close();
    }
    const { page, problems } = await openPage(path.join(dir, REPORT_FILES.html));
    assert.deepEqual(problems, []);
    const cells = await page.locator('#accuracy table.accuracy tr[data-dataset] td').allInnerTexts();
    assert.deepEqual(cells.slice(0, 2), ['gpqa<b>x</b>', '75.0 %']);
    assert.match(cells[2], /^\d+\.\d % – \d+\.\d % \(wilson\)$/);
    // Of the 3 wrong, round(0.5 × 3) = 2 are unreadable.
    assert.deepEqual(cells.slice(4), ['12 × 1 = 12', '12', '0', '2', '0', '75.0 %']);
    // The latency charts still draw beside it.
    const charts = await inspectCharts(page);
    assert.ok(charts.length >= 8 && charts.every((c) => c.info !== undefined && c.info.draws >= 1));
    await page.screenshot({ path: path.join(tmp, 'report-html-accuracy.png'), fullPage: true });
    await page.close();

    // The compare page's accuracy table, from plain data.
    const acc = JSON.parse(await readFile(path.join(dir, 'accuracy', 'accuracy_results.json'), 'utf8')) as {
      accuracy_scores: AccuracyResult[];
    };
    const base = acc.accuracy_scores[0];
    const worse = { ...base, score: 0.25, ci95: { low: 0.089, high: 0.532, method: 'wilson' as const } };
    const accuracy = await compareAccuracy(
      [
        { results: [base], accuracyOnly: false },
        { results: [worse], accuracyOnly: false },
      ],
      () => Promise.reject(new Error('right/wrong scores need no moments')),
    );
    const a = makeRun(500, { ttftMs: 40, seconds: 5 });
    const compare = path.join(tmp, 'compare-accuracy.html');
    await writeFile(
      compare,
      renderComparePage({
        runs: ['baseline', 'candidate'].map((label) => ({
          label,
          charts: extractRunChartData(a.rows, { startNs: a.startNs }),
          summary: summaryOf(a),
        })),
        accuracy,
      }),
    );
    const opened = await openPage(compare);
    assert.deepEqual(opened.problems, []);
    const row = await opened.page.locator('#accuracy table.accuracy tr[data-dataset] td').allInnerTexts();
    assert.deepEqual(row.slice(0, 4), ['gpqa<b>x</b>', '75.0 %', '25.0 %', '-50.0 pts, beyond noise']);
    assert.match(row[4], /^-\d+\.\d to -\d+\.\d pts \(Newcombe\)$/);
    await opened.page.close();
  },
);
