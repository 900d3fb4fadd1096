/**
 * report.html of a `--mode acc` run: no performance phase, so no latency tables or charts — the
 * run's identity, its accuracy section (accuracy-section.ts, the one a performance run's page
 * shows too) and its config.
 */
import type { AccuracyResult } from '../../accuracy/accuracy-result.js';
import { accuracySectionHtml } from './accuracy-section.js';
import { escapeHtml } from './html-escape.js';
import { writeTextAtomically } from '../report-files.js';
import { renderPage } from './page-shell.js';
import { metaList } from './summary-tables.js';

export interface AccuracyPageInput {
  model: string;
  endpoints: readonly string[];
  /** The phase's state: complete, interrupted, failed. */
  state: string;
  durationS: number;
  startedAt: string;
  reportDir: string;
  accuracy: readonly AccuracyResult[];
  configYaml: string;
}

export function renderAccuracyPage(input: AccuracyPageInput): string {
  const title = `llm-loadgen: ${input.model}, accuracy`;
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    metaList([
      ['model', input.model],
      ['endpoints', input.endpoints.join(', ')],
      ['mode', 'accuracy only (--mode acc): no performance phase'],
      ['state', input.state],
      ['duration', `${input.durationS.toFixed(1)} s`],
      ['started', input.startedAt],
      ['report dir', input.reportDir],
    ]),
    accuracySectionHtml(input.accuracy),
    '<h2>Config</h2>',
    `<pre class="config">${escapeHtml(input.configYaml)}</pre>`,
  ].join('\n');
  return renderPage({ title, body, plots: [] });
}

export function writeAccuracyReportHtml(file: string, input: AccuracyPageInput): Promise<void> {
  return writeTextAtomically(file, renderAccuracyPage(input));
}
