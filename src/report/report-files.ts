/** The files of a finished (or interrupted) run in --report-dir, besides records.jsonl. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ResultSummary } from '../metrics/result-summary.js';

export const REPORT_FILES = {
  summary: 'result_summary.json',
  text: 'report.txt',
  records: 'records.jsonl',
  config: 'config.yaml',
} as const;

/** `reports/<UTC timestamp>` — sortable and safe on every filesystem. */
export function defaultReportDir(now = new Date()): string {
  return path.join('reports', now.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z'));
}

export async function ensureReportDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

export async function writeConfigYaml(dir: string, resolved: Record<string, unknown>): Promise<void> {
  await writeFile(path.join(dir, REPORT_FILES.config), '# llm-loadgen resolved settings (secrets redacted)\n' + stringify(resolved), 'utf8');
}

export async function writeSummaryFiles(dir: string, summary: ResultSummary, reportText: string): Promise<void> {
  await writeFile(path.join(dir, REPORT_FILES.summary), JSON.stringify(summary, null, 2) + '\n', 'utf8');
  await writeFile(path.join(dir, REPORT_FILES.text), reportText, 'utf8');
}
