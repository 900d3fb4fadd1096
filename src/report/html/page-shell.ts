/**
 * The frame every report page shares: one self-contained HTML file. uPlot (the chart library,
 * ~51 KB minified + 2 KB CSS) and the page's runtime are inlined and the plot data sits in a JSON
 * block, so the file opens from disk, mailed or archived, with no network: the Content-Security-
 * Policy forbids every fetch, and the browser test fails on any console error.
 *
 * uPlot over Observable Plot (+ d3, ~250 KB), ECharts (~1 MB) or Vega-Lite + Vega (~800 KB): it
 * draws lines, filled steps and 20k-point scatters on canvas, which is all these pages need, at a
 * tenth of the size.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CHART_RUNTIME_JS } from './chart-runtime.js';
import { escapeHtml, inlineScript, inlineStyle, jsonForScript } from './html-escape.js';
import type { PlotSpec } from './plot-spec.js';

let uplotAssets: { js: string; css: string } | null = null;

/** uPlot's minified build and stylesheet, read once from node_modules. */
export function uplotSources(): { js: string; css: string } {
  if (uplotAssets === null) {
    const require = createRequire(import.meta.url);
    uplotAssets = {
      js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    };
  }
  return uplotAssets;
}

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0; background: #fafafa; }
main { max-width: 1280px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table.data { border-collapse: collapse; background: #fff; }
table.data th, table.data td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; vertical-align: top; }
table.data th:first-child, table.data td:first-child, table.data td.text { text-align: left; }
table.data th { background: #f0f0f0; font-weight: 600; }
.u-legend { font-size: 12px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.meta dt { color: #666; }
dl.meta dd { margin: 0; }
.warnings li { color: #8a4b00; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
figure.chart { margin: 0; background: #fff; border: 1px solid #ddd; padding: 8px; min-width: 0; }
figure.chart figcaption { font-weight: 600; margin-bottom: 4px; }
figure.chart .note { color: #666; font-size: 12px; margin-top: 2px; }
pre.config { background: #fff; border: 1px solid #ddd; padding: 8px; overflow: auto; max-height: 480px; }
dl.definitions dt { font-weight: 600; margin-top: 8px; }
dl.definitions dd { margin-left: 16px; }
.muted { color: #666; }
`;

export interface PageInput {
  title: string;
  /** The page's HTML, every outside string already escaped (the section builders do it). */
  body: string;
  plots: PlotSpec[];
}

/** A figure for one plot, where the runtime draws it. */
export function figureHtml(spec: PlotSpec): string {
  const note = spec.note === undefined ? '' : `<div class="note">${escapeHtml(spec.note)}</div>`;
  return (
    `<figure class="chart" id="plot-${escapeHtml(spec.id)}"><figcaption>${escapeHtml(spec.title)}</figcaption>` +
    `<div class="plot"></div>${note}</figure>`
  );
}

export function renderPage(input: PageInput): string {
  const { js, css } = uplotSources();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(input.title)}</title>
<style>${inlineStyle(css)}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
${input.body}
</main>
<script type="application/json" id="report-plots">${jsonForScript(input.plots)}</script>
<script>${inlineScript(js)}</script>
<script>${inlineScript(CHART_RUNTIME_JS)}</script>
</body>
</html>
`;
}
