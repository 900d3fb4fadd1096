/**
 * A run split over hosts is the run one host would have made: two processes with --shard 0/2 and
 * 1/2 (as two hosts, one shard each), started together by a barrier, send exactly the requests —
 * the same record ids, the same dataset rows — that one process with two shards sends for the same
 * seed and load. The Kubernetes pod's way (JOB_COMPLETION_INDEX + --shards) and Slurm's
 * (SLURM_PROCID/SLURM_NTASKS) give the same split.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { startMockServer, type RunningMockServer } from '../../src/servers/mock-openai-server.js';
import {
  CLI_MAIN,
  PROJECT_ROOT,
  describeResult,
  makeTempDir,
  readJson,
  readJsonl,
  runCli,
  type TempDir,
} from '../cli/cli-process.js';

interface HostBlock {
  index: number;
  count: number;
  source: string;
  told_start_ms: number | null;
  start_lateness_ms: number | null;
}

const LOAD = ['--concurrency', '4', '--num-samples', '40', '--scheduler-random-seed', '7', '--streaming', 'on'];

function keys(rows: Record<string, unknown>[]): { ids: number[]; samples: number[] } {
  return {
    ids: rows.map((r) => Number(r.id)).sort((a, b) => a - b),
    samples: rows.map((r) => Number(r.sample_index)).sort((a, b) => a - b),
  };
}

describe('a run split over two hosts', () => {
  let server: RunningMockServer;
  let tmp: TempDir;
  let single: { ids: number[]; samples: number[] };
  before(async () => {
    server = await startMockServer({ outputTokens: 4 });
    tmp = await makeTempDir('llm-loadgen-hosts-');
    const dir = path.join(tmp.dir, 'single');
    const r = await runCli(
      [
        'benchmark',
        'online',
        '--endpoints',
        server.url,
        '--model',
        'm',
        ...LOAD,
        '--workers',
        '2',
        '--report-dir',
        dir,
        '--results-db',
        path.join(tmp.dir, 'single.duckdb'),
        '--records',
        'jsonl',
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, describeResult(r));
    single = keys(await readJsonl(path.join(dir, REPORT_FILES.records)));
    assert.equal(single.ids.length, 40);
  });
  after(async () => {
    await server.close();
    await tmp.cleanup();
  });

  async function hosts(label: string, argsOf: (i: number) => string[], envOf: (i: number) => Record<string, string>) {
    const runs = await Promise.all(
      [0, 1].map((i) =>
        runCli(
          [
            'benchmark',
            'online',
            '--endpoints',
            server.url,
            '--model',
            'm',
            ...LOAD,
            '--workers',
            '1',
            ...argsOf(i),
            '--report-dir',
            path.join(tmp.dir, `${label}-${i}`),
            '--results-db',
            path.join(tmp.dir, `${label}-${i}.duckdb`),
            '--records',
            'jsonl',
          ],
          { timeoutMs: 60_000, env: envOf(i) },
        ),
      ),
    );
    const rows: Record<string, unknown>[] = [];
    const blocks: HostBlock[] = [];
    for (const [i, r] of runs.entries()) {
      assert.equal(r.code, 0, describeResult(r));
      rows.push(...(await readJsonl(path.join(tmp.dir, `${label}-${i}`, REPORT_FILES.records))));
      blocks.push(
        (await readJson<{ host: HostBlock }>(path.join(tmp.dir, `${label}-${i}`, REPORT_FILES.summary))).host,
      );
    }
    return { merged: keys(rows), blocks };
  }

  test('--shard 0/2 and 1/2 with a start barrier: the same requests as one host, started together', async () => {
    const barrier = path.join(tmp.dir, 'barrier');
    const { merged, blocks } = await hosts(
      'shard',
      (i) => ['--shard', `${i}/2`, '--start-barrier', barrier],
      () => ({}),
    );
    assert.deepEqual(merged, single);
    assert.deepEqual(
      blocks.map((b) => [b.index, b.count, b.source]),
      [
        [0, 2, '--shard'],
        [1, 2, '--shard'],
      ],
    );
    assert.equal(blocks[0].told_start_ms, blocks[1].told_start_ms, 'one agreed start');
    for (const b of blocks)
      assert.ok(Math.abs(b.start_lateness_ms ?? Infinity) < 1000, `lateness ${b.start_lateness_ms} ms`);
  });

  test('a Kubernetes Indexed Job (JOB_COMPLETION_INDEX + --shards) and Slurm (SLURM_PROCID) split the same way', async () => {
    const k8s = await hosts(
      'k8s',
      () => ['--shards', '2'],
      (i) => ({ JOB_COMPLETION_INDEX: String(i) }),
    );
    assert.deepEqual(k8s.merged, single);
    assert.equal(k8s.blocks[1].source, 'JOB_COMPLETION_INDEX');
    const slurm = await hosts(
      'slurm',
      () => [],
      (i) => ({ SLURM_PROCID: String(i), SLURM_NTASKS: '2' }),
    );
    assert.deepEqual(slurm.merged, single);
    assert.equal(slurm.blocks[0].source, 'SLURM_PROCID');
  });

  test('a real one-node Slurm cluster: srun --ntasks 2 runs the two hosts', async (t) => {
    let conf: string;
    try {
      conf = execFileSync(path.join(PROJECT_ROOT, 'scripts', 'ensure-slurm.sh'), {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim();
    } catch (err) {
      const why = String((err as { stderr?: string }).stderr ?? err).trim();
      console.error(`\n!!! SKIPPED the Slurm test: no Slurm cluster could be started here: ${why}\n`);
      t.skip(`no Slurm: ${why}`);
      return;
    }
    const out = path.join(tmp.dir, 'srun');
    const tsx = path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
    const script =
      `node --import ${JSON.stringify(tsx)} ${JSON.stringify(CLI_MAIN)} benchmark online --endpoints ${server.url} --model m ` +
      `${LOAD.join(' ')} --workers 1 --report-dir ${out}-$SLURM_PROCID --results-db ${out}-$SLURM_PROCID.duckdb --records jsonl`;
    // Not execFileSync: the mock answers from this process's event loop.
    await promisify(execFile)('srun', ['--ntasks', '2', '--time', '2', 'bash', '-c', script], {
      env: { ...process.env, SLURM_CONF: conf },
      timeout: 90_000,
    });
    const rows: Record<string, unknown>[] = [];
    for (const i of [0, 1]) rows.push(...(await readJsonl(path.join(`${out}-${i}`, REPORT_FILES.records))));
    assert.deepEqual(keys(rows), single);
  });
});
