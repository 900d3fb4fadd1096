/**
 * The report directory and its files. A run gets a directory of its own (created exclusively, or
 * an empty --report-dir, or one cleared of our files with --overwrite), and every file in it is
 * written whole or not at all: to a temporary name, then renamed. A full disk then costs the file
 * being written, never the files before it nor a half-written file that looks complete.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError, ErrorCode } from '../errors.js';
import type { ResultSummary } from '../metrics/result-summary.js';

/**
 * The report's files, relative to the report directory. The summary sits where MLPerf Endpoints
 * writes it (`performance/result_summary.json`), so its tooling finds ours.
 */
export const REPORT_FILES = {
  summary: 'performance/result_summary.json',
  text: 'report.txt',
  /** The self-contained HTML report (charts inlined): src/report/html/. */
  html: 'report.html',
  records: 'records.jsonl',
  config: 'config.yaml',
  /** A sweep's directory: every step's row (sweep/sweep-summary.ts) and the table. */
  sweepSummary: 'sweep_summary.json',
  sweepText: 'sweep.txt',
  /** The accuracy phase's folder (MLPerf Endpoints' `accuracy/`), and its files in it. */
  accuracyDir: 'accuracy',
  accuracyResults: 'accuracy_results.json',
  /** --repeats: the combined figures across repeats, at the top of the report dir. */
  repeatsSummary: 'repeats_summary.json',
  repeatsText: 'repeats.txt',
  /** One row per run (or sweep step), for spreadsheets (store/summary-csv.ts). */
  summaryCsv: 'summary.csv',
  /** The run's own results database, only when the shared one was in use by another run or damaged. */
  database: 'llm-loadgen.duckdb',
} as const;

/** Where default report directories go. */
export const REPORTS_ROOT = 'reports';

/** Temporary names of files being written: `.records.jsonl.tmp-<pid>`. */
const TEMP_FILE = /^\.(.+)\.tmp-\d+$/;

/**
 * `reports/<UTC timestamp>-<4 hex>` — sortable, safe on every filesystem, and distinct for runs
 * started in the same second (two runs at 07:55:00 both wrote `reports/2026-…T07-55-00Z/` before).
 */
export function defaultReportDir(now = new Date(), suffix = randomBytes(2).toString('hex')): string {
  const stamp = now
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  return path.join(REPORTS_ROOT, `${stamp}-${suffix}`);
}

/** Why a filesystem call failed, in words; undefined for errors that are not about the path. */
export function describeFsError(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const why: Record<string, string> = {
    EEXIST: 'a file with that name exists',
    ENOTDIR: 'part of the path is a file, not a directory',
    ENOENT: 'the directory does not exist (or was removed)',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EFBIG: 'file too large (a file-size limit, ulimit -f?)',
    EIO: 'input/output error',
    EISDIR: 'a directory is in the way',
  };
  return code !== undefined && why[code] !== undefined ? `${why[code]}, ${code}` : undefined;
}

function unusable(dir: string, what: string, err: unknown): BadInputError | unknown {
  const reason = describeFsError(err);
  if (reason === undefined) return err;
  return new BadInputError(
    ErrorCode.reportDirUnusable,
    `--report-dir ${dir}: ${what} (${reason}). Pick another --report-dir.`,
    { cause: err },
  );
}

/**
 * Makes the run's report directory and returns it. Without `dir`, a new `reports/<stamp>-<hex>`
 * (mkdir without `recursive` fails when it exists, so two runs never share one). With `dir`, it
 * must be empty: a directory reused after a crash or a kill -9 would mix two runs' files. With
 * `overwrite`, our files in it are removed first (anything else is left alone).
 */
export async function createReportDir(dir: string | undefined, overwrite: boolean): Promise<string> {
  if (dir === undefined) {
    try {
      await mkdir(REPORTS_ROOT, { recursive: true });
    } catch (err) {
      throw unusable(REPORTS_ROOT, 'cannot create the reports directory', err);
    }
    for (let attempt = 0; ; attempt++) {
      const candidate = defaultReportDir();
      try {
        await mkdir(candidate);
        return candidate;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 16)
          throw unusable(candidate, 'cannot create the report directory', err);
      }
    }
  }
  try {
    await mkdirWithCause(dir);
  } catch (err) {
    throw unusable(dir, 'cannot create the report directory', err);
  }
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw unusable(dir, 'cannot read the report directory', err);
  }
  if (entries.length === 0) return dir;
  if (!overwrite) {
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
    throw new BadInputError(
      ErrorCode.reportDirNotEmpty,
      `--report-dir ${dir} is not empty (${shown}): a new run would mix its files with what is there. ` +
        'Pick a new or empty directory, or add --overwrite to replace the report in it.',
    );
  }
  try {
    await removeOurFiles(dir);
  } catch (err) {
    throw unusable(dir, 'cannot remove the earlier report (--overwrite)', err);
  }
  return dir;
}

/**
 * Removes REPORT_FILES (and their temporary files) from `dir` and its subdirectories such as
 * `performance/`, then those subdirectories when nothing else is left in them: anything not ours
 * stays where it is.
 */
async function removeOurFiles(dir: string): Promise<void> {
  const byDir = new Map<string, Set<string>>();
  for (const file of Object.values(REPORT_FILES)) {
    const sub = path.dirname(file);
    let names = byDir.get(sub);
    if (names === undefined) byDir.set(sub, (names = new Set()));
    names.add(path.basename(file));
  }
  for (const [sub, ours] of byDir) {
    const at = path.join(dir, sub);
    let entries: string[];
    try {
      entries = await readdir(at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (sub !== '.' && (code === 'ENOENT' || code === 'ENOTDIR')) continue;
      throw err;
    }
    let kept = 0;
    for (const name of entries) {
      const temp = TEMP_FILE.exec(name);
      if (ours.has(name) || (temp !== null && ours.has(temp[1]))) await rm(path.join(at, name), { force: true });
      else kept++;
    }
    if (sub !== '.' && kept === 0) await rmdir(at);
  }
}

/**
 * mkdir -p whose error says why: recursive mkdir answers ENOENT on a read-only file system (and
 * Node printed that as a bare ENOENT); creating the first missing level alone gives the real EROFS
 * or EACCES.
 */
async function mkdirWithCause(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const levels: string[] = [];
    for (let d = path.resolve(dir); d !== path.dirname(d); d = path.dirname(d)) levels.unshift(d);
    for (const level of levels) {
      try {
        await mkdir(level);
      } catch (inner) {
        if ((inner as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw inner;
      }
    }
    throw err;
  }
}

/**
 * Writes `file` through `write(tempPath)` and renames it into place; on failure the temporary file
 * is removed and the error rethrown, so `file` is either complete or absent. Its directory is
 * created first (`performance/` for the summary). (No fsync: the point is a failed write, e.g.
 * ENOSPC, not a power cut; fsync of a 100 MB records.jsonl costs seconds.)
 */
export async function writeAtomically(file: string, write: (tempPath: string) => Promise<void>): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await write(temp);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}

export function writeTextAtomically(file: string, text: string): Promise<void> {
  return writeAtomically(file, (temp) => writeFile(temp, text, 'utf8'));
}

/**
 * config.yaml (text from config/settings-yaml.ts: a from-config input), written when the run starts:
 * a directory we cannot write to fails here, before any load (exit 2).
 */
export async function writeConfigYaml(dir: string, text: string): Promise<void> {
  try {
    await writeTextAtomically(path.join(dir, REPORT_FILES.config), text);
  } catch (err) {
    throw unusable(dir, 'cannot write to the report directory', err);
  }
}

export function summaryJson(summary: ResultSummary): string {
  return JSON.stringify(summary, null, 2) + '\n';
}
