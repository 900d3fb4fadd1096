/** The files of a finished (or interrupted) run in --report-dir, besides records.jsonl. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { BadInputError, ErrorCode } from '../errors.js';
import type { ResultSummary } from '../metrics/result-summary.js';

export const REPORT_FILES = {
  summary: 'result_summary.json',
  text: 'report.txt',
  records: 'records.jsonl',
  config: 'config.yaml',
} as const;

/** `reports/<UTC timestamp>` — sortable and safe on every filesystem. */
export function defaultReportDir(now = new Date()): string {
  return path.join(
    'reports',
    now
      .toISOString()
      .replace(/:/g, '-')
      .replace(/\.\d+Z$/, 'Z'),
  );
}

/** Creates the report dir; a path that cannot be one is bad input (exit 2), not a crash. */
export async function ensureReportDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why: Record<string, string> = {
      EEXIST: 'a file with that name exists',
      ENOTDIR: 'part of the path is a file, not a directory',
      EACCES: 'permission denied',
      EPERM: 'operation not permitted',
      EROFS: 'read-only file system',
      ENOSPC: 'no space left on device',
    };
    const reason = code !== undefined ? why[code] : undefined;
    if (reason === undefined) throw err;
    throw new BadInputError(
      ErrorCode.reportDirUnusable,
      `--report-dir ${dir}: cannot create the report directory (${reason}). Pick another --report-dir.`,
      { cause: err },
    );
  }
}

export async function writeConfigYaml(dir: string, resolved: Record<string, unknown>): Promise<void> {
  await writeFile(
    path.join(dir, REPORT_FILES.config),
    '# llm-loadgen resolved settings (secrets redacted)\n' + stringify(resolved),
    'utf8',
  );
}

export async function writeSummaryFiles(dir: string, summary: ResultSummary, reportText: string): Promise<void> {
  await writeFile(path.join(dir, REPORT_FILES.summary), JSON.stringify(summary, null, 2) + '\n', 'utf8');
  await writeFile(path.join(dir, REPORT_FILES.text), reportText, 'utf8');
}
