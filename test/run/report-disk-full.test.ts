/**
 * A full disk or a file-size limit must not cost the result: the summary is printed first, every
 * report file is whole or absent, and the exit is 4 naming the path. A read-only report directory
 * is exit 2 before any load. Run through the real CLI, with the limit on the child only.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startMockServer } from '../../src/servers/mock-openai-server.js';
import { CLI_MAIN, TSX_LOADER, describeResult, makeTempDir, type CliResult, cli } from '../cli/cli-process.js';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { ResultsStore } from '../../src/store/results-store.js';

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
const isRoot = process.getuid?.() === 0;

/**
 * The CLI under `prlimit` (extra limits for the child alone), killed after 60 s, in `cwd`. Its
 * results database must exist before (a new DuckDB file is 256 KiB at once): `makeResultsDb`.
 */
function runLimitedCli(limits: string[], args: string[], cwd: string): Promise<CliResult> {
  const command = limits.length > 0 ? 'prlimit' : process.execPath;
  const argv = [...(limits.length > 0 ? [...limits, process.execPath] : []), '--import', TSX_LOADER, CLI_MAIN, ...args];
  const child = spawn(command, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

/** 400 non-streaming requests: records.jsonl ~250 KB, report.html ~70 KB, the summary files ~9 KB: a 128 KiB limit falls in records.jsonl. */
const benchmarkArgs = (url: string, dir: string) =>
  cli`benchmark offline --endpoints ${url} --model m --num-samples 400 --workers 1 --report-dir ${dir}`;

/** The default results database made in `cwd` before a limited run (these cases are the report files). */
async function makeResultsDb(cwd: string): Promise<void> {
  await mkdir(path.join(cwd, 'results'), { recursive: true });
  (await ResultsStore.open(path.join(cwd, 'results', 'llm-loadgen.duckdb'))).close();
}

async function assertSummaryKeptRecordsLost(r: CliResult, dir: string, errno: RegExp): Promise<void> {
  assert.equal(r.code, 4, describeResult(r));
  assert.match(r.stdout, /requests:\s+400 issued, 400 completed, 0 failed/, 'the summary is on the console');
  assert.match(
    r.stderr,
    new RegExp(`error \\[report_write_failed\\]: could not write ${path.join(dir, 'records.jsonl')}`),
  );
  assert.match(r.stderr, errno);
  assert.doesNotMatch(r.stderr, /internal error|at .*\.ts:\d+/, 'no stack trace');
  const names = (await readdir(dir)).sort();
  assert.deepEqual(
    names,
    ['config.yaml', 'performance', 'report.html', 'report.txt', 'summary.csv'],
    'no partial records.jsonl, no temp file',
  );
  assert.deepEqual(await readdir(path.join(dir, 'performance')), ['result_summary.json'], 'no temp file');
  const summary = JSON.parse(await readFile(path.join(dir, REPORT_FILES.summary), 'utf8')) as {
    n_samples_completed: number;
  };
  assert.equal(summary.n_samples_completed, 400);
  assert.equal(await readFile(path.join(dir, 'report.txt'), 'utf8'), r.stdout, 'report.txt is what was printed');
}

test(
  'a file-size limit (ulimit -f) hit by records.jsonl: summary printed and kept, exit 4 naming the file',
  {
    skip: !hasPrlimit && 'prlimit not installed',
    timeout: 90_000,
  },
  async () => {
    const server = await startMockServer();
    const tmp = await makeTempDir();
    try {
      const dir = path.join(tmp.dir, 'r');
      await makeResultsDb(tmp.dir);
      const r = await runLimitedCli(['--fsize=131072'], benchmarkArgs(server.url, dir), tmp.dir);
      await assertSummaryKeptRecordsLost(r, dir, /EFBIG/);
    } finally {
      await server.close();
      await tmp.cleanup();
    }
  },
);

/** Mounts a tmpfs (root only); null when this machine does not allow it. */
function mountTmpfs(dir: string, options: string): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status === 0;
}
function unmount(dir: string): void {
  spawnSync('umount', [dir]);
}

test(
  'a full disk (a 128 KiB tmpfs): summary printed and kept, exit 4 naming the file',
  {
    skip: !isRoot && 'needs root to mount a tmpfs',
    timeout: 90_000,
  },
  async (t) => {
    const server = await startMockServer();
    const tmp = await makeTempDir();
    const mnt = path.join(tmp.dir, 'mnt');
    await mkdir(mnt);
    if (!mountTmpfs(mnt, 'size=128k')) {
      t.skip('mount is not permitted here');
      await server.close();
      await tmp.cleanup();
      return;
    }
    try {
      const dir = path.join(mnt, 'r');
      await makeResultsDb(tmp.dir);
      const r = await runLimitedCli([], benchmarkArgs(server.url, dir), tmp.dir);
      await assertSummaryKeptRecordsLost(r, dir, /no space left on device, ENOSPC/);
    } finally {
      unmount(mnt);
      await rmdir(mnt).catch(() => undefined);
      await server.close();
      await tmp.cleanup();
    }
  },
);

test(
  'a read-only report directory: exit 2 with a message naming it, no stack trace, no load sent',
  {
    skip: !isRoot && 'needs root to mount a read-only tmpfs (test/run/run-benchmark.test.ts covers chmod)',
    timeout: 90_000,
  },
  async (t) => {
    const server = await startMockServer();
    const tmp = await makeTempDir();
    const mnt = path.join(tmp.dir, 'ro');
    await mkdir(mnt);
    if (!mountTmpfs(mnt, 'ro,size=64k')) {
      t.skip('mount is not permitted here');
      await server.close();
      await tmp.cleanup();
      return;
    }
    try {
      for (const dir of [mnt, path.join(mnt, 'sub')]) {
        const r = await runLimitedCli([], benchmarkArgs(server.url, dir), tmp.dir);
        assert.equal(r.code, 2, describeResult(r));
        assert.match(
          r.stderr,
          new RegExp(`error \\[report_dir_unusable\\]: --report-dir ${dir}: .*read-only file system`),
        );
        assert.doesNotMatch(r.stderr, /internal error|\n {4}at /);
      }
      assert.equal(server.stats().completionRequests, 0);
    } finally {
      unmount(mnt);
      await rmdir(mnt).catch(() => undefined);
      await server.close();
      await tmp.cleanup();
    }
  },
);
