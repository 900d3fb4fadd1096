/**
 * Report directories that cannot take the report, through the real CLI: a read-only one is bad
 * input (exit 2 naming --report-dir, no stack trace); a full disk is exit 4 naming the path, with
 * the summary printed to the console first (issue 14 item 4). Each run gets a private mount
 * namespace (`unshare -m`) with its own small tmpfs, so nothing is left mounted whatever happens;
 * skipped where that is not permitted (not root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { startMockServer } from '../../src/servers/mock-openai-server.js';
import { CLI_MAIN, PROJECT_ROOT, describeResult, makeTempDir, type CliResult, cli } from './cli-process.js';

const canMount =
  process.platform === 'linux' &&
  spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o size=16k tmpfs /mnt'], {
    stdio: 'ignore',
  }).status === 0;
const skip = canMount ? false : 'needs unshare -m and mount (root)';

/** The CLI with `mountPoint` a fresh tmpfs (`options`, e.g. "size=16k" or "ro") seen by it alone. */
function runCliOnTmpfs(mountPoint: string, options: string, args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.OPENAI_API_KEY;
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t tmpfs -o "$1" tmpfs "$2" && shift 2 && exec "$@"',
      'sh',
      options,
      mountPoint,
      process.execPath,
      '--import',
      'tsx',
      CLI_MAIN,
      ...args,
    ],
    { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const NO_STACK = /internal error|\n\s+at .*:\d+:\d+/;

async function readOnlyReportDir(sub: string | null): Promise<void> {
  const mock = await startMockServer({ host: '127.0.0.1', port: 0, ttftMs: 0, itlMs: 0, outputTokens: 2 });
  const tmp = await makeTempDir();
  try {
    const dir = sub === null ? tmp.dir : path.join(tmp.dir, sub);
    const r = await runCliOnTmpfs(
      tmp.dir,
      'ro',
      cli`
      benchmark online --endpoints ${mock.url} --model m --concurrency 1 --num-samples 2 --workers 1 --report-dir
      ${dir}
    `,
    );
    assert.equal(r.code, 2, describeResult(r));
    assert.match(r.stderr, /--report-dir/, describeResult(r));
    assert.ok(r.stderr.includes(dir), `names ${dir}: ${describeResult(r)}`);
    assert.match(r.stderr, /read-only|not writable|cannot (create|write)/i, describeResult(r));
    assert.doesNotMatch(r.stderr, NO_STACK, describeResult(r));
    assert.equal(mock.stats().completionRequests, 0, 'nothing is sent when the report cannot be written');
  } finally {
    await tmp.cleanup();
    await mock.close();
  }
}

test(
  'a --report-dir to create on a read-only file system exits 2 naming the flag',
  {
    skip,
    timeout: 120_000,
  },
  () => readOnlyReportDir('sub'),
);

test(
  'an existing read-only --report-dir exits 2 naming the flag',
  {
    skip,
    timeout: 120_000,
  },
  () => readOnlyReportDir(null),
);

test(
  'a full disk: exit 4 naming the path, the summary printed to the console first',
  {
    skip,
    timeout: 120_000,
  },
  async () => {
    const mock = await startMockServer({ host: '127.0.0.1', port: 0, ttftMs: 0, itlMs: 0, outputTokens: 2 });
    const tmp = await makeTempDir();
    try {
      const report = path.join(tmp.dir, 'r');
      // ~680 bytes per record: 60 requests cannot fit in 16 KiB with the other files.
      const r = await runCliOnTmpfs(
        tmp.dir,
        'size=16k',
        cli`
        benchmark online --endpoints ${mock.url} --model m --concurrency 4 --num-samples 60 --workers 1
        --report-dir ${report}
      `,
      );
      assert.equal(mock.stats().completionRequests, 60, 'the run itself went through');
      assert.equal(r.code, 4, describeResult(r));
      assert.ok(r.stderr.includes(report), `names ${report}: ${describeResult(r)}`);
      assert.match(r.stderr + r.stdout, /no space|ENOSPC|full/i, describeResult(r));
      assert.doesNotMatch(r.stderr, NO_STACK, describeResult(r));
      assert.match(
        r.stdout,
        /requests:\s+60 issued, 60 completed/,
        `the summary is on the console: ${describeResult(r)}`,
      );
    } finally {
      await tmp.cleanup();
      await mock.close();
    }
  },
);
