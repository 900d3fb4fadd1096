/**
 * Bad input through the real CLI (issue 14, "Hostile servers and bad input"): each case must exit 2
 * with a message naming the flag or the dataset's file:line, fast, before any load reaches the
 * server; well-formed oddities (a UTF-8 BOM, CRLF endings) are accepted.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ResultsStore } from '../../src/store/results-store.js';
import {
  CLI_MAIN,
  TSX_LOADER,
  describeResult,
  makeTempDir,
  runCli,
  startRecordingServer,
  type CliResult,
  type RecordingServer,
  type TempDir,
} from '../cli/cli-process.js';

interface BadInputCase {
  name: string;
  /** Extra arguments (the last of a repeated flag wins); `{dir}` is replaced by the case's temp dir. */
  args: string[];
  /** Dataset file to write first (name, content). */
  dataset?: [string, string | Buffer];
  exit: number;
  /** What stderr (or stdout for exit 0) must say. */
  says?: RegExp;
}

const line = (o: unknown): string => JSON.stringify(o) + '\n';

const cases: BadInputCase[] = [
  {
    name: 'a malformed dataset line names file:line',
    dataset: ['data.jsonl', line({ prompt: 'a' }) + line({ prompt: 'b' }) + '{"prompt": "c",\n'],
    args: ['--dataset', '{dir}/data.jsonl'],
    exit: 2,
    says: /data\.jsonl:3/,
  },
  {
    name: 'a missing prompt column names file:line',
    dataset: ['data.jsonl', line({ prompt: 'a' }) + line({ text: 'b' })],
    args: ['--dataset', '{dir}/data.jsonl'],
    exit: 2,
    says: /data\.jsonl:2/,
  },
  {
    name: 'an empty dataset file',
    dataset: ['data.jsonl', ''],
    args: ['--dataset', '{dir}/data.jsonl'],
    exit: 2,
    says: /data\.jsonl.*empty|empty.*data\.jsonl/i,
  },
  {
    name: 'a 5 MB line that is not JSON names file:line',
    dataset: ['data.jsonl', line({ prompt: 'a' }) + 'x'.repeat(5 * 1024 * 1024) + '\n'],
    args: ['--dataset', '{dir}/data.jsonl'],
    exit: 2,
    says: /data\.jsonl:2/,
  },
  {
    name: 'binary garbage names file:line',
    dataset: ['data.jsonl', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x00])],
    args: ['--dataset', '{dir}/data.jsonl'],
    exit: 2,
    says: /data\.jsonl:1/,
  },
  {
    name: 'a UTF-8 BOM and CRLF endings are accepted',
    dataset: [
      'data.jsonl',
      '\uFEFF' + line({ prompt: 'a' }).replace('\n', '\r\n') + line({ prompt: 'b' }).replace('\n', '\r\n'),
    ],
    args: ['--dataset', '{dir}/data.jsonl'],
    exit: 0,
  },
  { name: 'an unknown flag', args: ['--concurency', '2'], exit: 2, says: /--concurency/ },
  { name: '--num-samples 0', args: ['--num-samples', '0'], exit: 2, says: /--num-samples/ },
  { name: '--num-samples NaN', args: ['--num-samples', 'NaN'], exit: 2, says: /--num-samples/ },
  { name: '--concurrency -4', args: ['--concurrency', '-4'], exit: 2, says: /--concurrency/ },
  { name: '--concurrency 2.5', args: ['--concurrency', '2.5'], exit: 2, says: /--concurrency/ },
  { name: '--target-qps NaN', args: ['--target-qps', 'NaN', '--num-samples', '2'], exit: 2, says: /--target-qps/ },
  { name: '--request-timeout -1s', args: ['--request-timeout', '-1s'], exit: 2, says: /--request-timeout/ },
  { name: '--request-timeout soon', args: ['--request-timeout', 'soon'], exit: 2, says: /--request-timeout/ },
  { name: '--duration -1s', args: ['--target-qps', '5', '--duration', '-1s'], exit: 2, says: /--duration/ },
  { name: '--workers 0', args: ['--workers', '0'], exit: 2, says: /--workers/ },
  { name: '--concurrency 1e400 (not finite)', args: ['--concurrency', '1e400'], exit: 2, says: /--concurrency/ },
  { name: '--max-connections 0', args: ['--max-connections', '0'], exit: 2, says: /--max-connections/ },
  { name: '--connect-timeout 0s', args: ['--connect-timeout', '0s'], exit: 2, says: /--connect-timeout/ },
];

async function runCase(c: BadInputCase, server: RecordingServer, tmp: TempDir): Promise<CliResult> {
  const dir = path.join(tmp.dir, c.name.replace(/[^a-z0-9]+/gi, '-'));
  await mkdir(dir, { recursive: true });
  if (c.dataset !== undefined) await writeFile(path.join(dir, c.dataset[0]), c.dataset[1]);
  const args = c.args.map((a) => a.replace('{dir}', dir));
  const hasLoad = args.some((a) => a === '--concurrency' || a === '--target-qps');
  return runCli(
    [
      'benchmark',
      'online',
      '--endpoints',
      server.url,
      '--model',
      'm',
      '--workers',
      '1',
      ...(hasLoad ? [] : ['--concurrency', '1']),
      ...(args.includes('--num-samples') ? [] : ['--num-samples', '2']),
      '--report-dir',
      path.join(dir, 'report'),
      ...args,
    ],
    { timeoutMs: 30_000 },
  );
}

let tmp: TempDir | undefined;
test.after(async () => tmp?.cleanup());

// Each case is a separate CLI process and server: four at a time (the CLI's start-up under tsx
// is most of the ~2 s each).
describe('bad input through the CLI', { concurrency: 4 }, () => {
  for (const c of cases) {
    test(`${c.name} → exit ${c.exit}`, { timeout: 60_000 }, async () => {
      tmp ??= await makeTempDir('llm-loadgen-bad-input-');
      const server = await startRecordingServer();
      try {
        const t0 = performance.now();
        const r = await runCase(c, server, tmp);
        const ms = performance.now() - t0;
        assert.equal(r.code, c.exit, describeResult(r));
        if (c.says !== undefined) assert.match(c.exit === 0 ? r.stdout : r.stderr, c.says, describeResult(r));
        if (c.exit === 2) {
          assert.equal(server.headers.length, 0, 'bad input is found before any request is sent');
          assert.ok(!/at .*\.ts:\d+/.test(r.stderr), `no stack trace:\n${r.stderr}`);
          assert.ok(ms < 20_000, `took ${ms} ms`);
        } else {
          assert.ok(server.headers.length > 0, 'the run sent its requests');
        }
      } finally {
        await server.close();
      }
    });
  }
});

/** `prlimit` sets a file-size limit on the child: writes past it fail with EFBIG (node ignores SIGXFSZ), as on a full disk. */
function prlimitAvailable(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test(
  'a full disk (a 64 KiB file-size limit): the summary is printed first, exit 4 naming the report path',
  {
    timeout: 60_000,
    skip: prlimitAvailable() ? false : 'prlimit (util-linux) is not installed',
  },
  async () => {
    const server = await startRecordingServer();
    const dir = await makeTempDir('llm-loadgen-full-disk-');
    try {
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.NODE_TEST_CONTEXT;
      delete env.OPENAI_API_KEY;
      const reportDir = path.join(dir.dir, 'report');
      // The results database is made before the limit applies (a new DuckDB file is 256 KiB at
      // once): this case is the report files, on a disk that fills during the run.
      const db = path.join(dir.dir, 'results.duckdb');
      (await ResultsStore.open(db)).close();
      // 400 records are ~250 KB of records.jsonl: past the limit
      const child = spawn(
        'prlimit',
        [
          '--fsize=65536',
          '--',
          process.execPath,
          '--import',
          TSX_LOADER,
          CLI_MAIN,
          'benchmark',
          'online',
          '--endpoints',
          server.url,
          '--model',
          'm',
          '--concurrency',
          '4',
          '--num-samples',
          '400',
          '--workers',
          '1',
          '--report-dir',
          reportDir,
          '--results-db',
          db,
        ],
        { cwd: dir.dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
      const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
      clearTimeout(timer);
      const what = `exit ${code}\n--- stdout ---\n${stdout.slice(-2000)}\n--- stderr ---\n${stderr.slice(-2000)}`;
      assert.equal(server.headers.length, 400, what);
      assert.equal(code, 4, what);
      assert.match(stdout, /requests: +400 issued, 400 completed/, what);
      assert.ok(stderr.includes(reportDir), what);
      assert.ok(!/internal error/.test(stderr), what);
    } finally {
      await server.close();
      await dir.cleanup();
    }
  },
);
