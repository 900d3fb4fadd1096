/**
 * deploy/slurm/llm-loadgen.sbatch as shipped, submitted to a real one-node Slurm cluster
 * (scripts/ensure-slurm.sh) with two tasks on the node: both hosts start at the barrier, and the
 * merged run it writes has every request of the config, the hosts' table, and no warning about
 * the hosts. Skipped, saying why, where Slurm cannot be started.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { startMockServer, type RunningMockServer } from '../../src/servers/mock-openai-server.js';
import { CLI_MAIN, PROJECT_ROOT, makeTempDir, readJson, type TempDir } from '../cli/cli-process.js';

let conf: string | null = null;
let why = '';
try {
  conf = execFileSync(path.join(PROJECT_ROOT, 'scripts', 'ensure-slurm.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
} catch (err) {
  why = String((err as { stderr?: string }).stderr ?? err).trim();
  console.error(`\n!!! SKIPPED the sbatch test: no Slurm cluster could be started here: ${why}\n`);
}

let server: RunningMockServer;
let tmp: TempDir;
before(async () => {
  server = await startMockServer({ outputTokens: 4 });
  tmp = await makeTempDir('llm-loadgen-sbatch-');
});
after(async () => {
  await server?.close();
  await tmp?.cleanup();
});

test(
  'deploy/slurm/llm-loadgen.sbatch as shipped: two tasks, a barrier, one merged run',
  { skip: conf === null && `no Slurm: ${why}` },
  async () => {
    const config = path.join(tmp.dir, 'run.yaml');
    await writeFile(
      config,
      [
        'name: sbatch-test',
        'type: online',
        'model_params:',
        '  name: m',
        '  streaming: "on"',
        '  max_new_tokens: 4',
        'settings:',
        '  runtime:',
        '    n_samples_to_issue: 40',
        '    scheduler_random_seed: 7',
        '  load_pattern:',
        '    type: concurrency',
        '    target_concurrency: 4',
        'endpoint_config:',
        `  endpoints: ["${server.url}"]`,
        '',
      ].join('\n'),
    );
    const results = path.join(tmp.dir, 'results');
    const tsx = path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
    // Not execFileSync: the mock answers from this process's event loop.
    await promisify(execFile)(
      'sbatch',
      [
        '--wait',
        '--nodes=1',
        '--ntasks-per-node=2',
        '--time=3',
        `--output=${path.join(tmp.dir, 'job.out')}`,
        `--chdir=${tmp.dir}`,
        path.join(PROJECT_ROOT, 'deploy', 'slurm', 'llm-loadgen.sbatch'),
      ],
      {
        env: {
          ...process.env,
          SLURM_CONF: conf!,
          CONFIG: config,
          RESULTS: results,
          WORKERS: '1',
          LLM_LOADGEN: `${process.execPath} --import ${tsx} ${CLI_MAIN}`,
        },
        timeout: 150_000,
      },
    ).catch(async (err: Error) => {
      const out = await readFile(path.join(tmp.dir, 'job.out'), 'utf8').catch(() => '(no job output)');
      throw new Error(`${err.message}\n--- job output ---\n${out.slice(-4000)}`);
    });
    const merged = await readJson<{
      n_samples_issued: number;
      n_samples_completed: number;
      hosts: { index: number; requests: number; clock_offset_ms: number | null }[];
      warnings: string[];
    }>(path.join(results, 'merged', REPORT_FILES.summary));
    assert.equal(merged.n_samples_issued, 40);
    assert.equal(merged.n_samples_completed, 40);
    assert.deepEqual(
      merged.hosts.map((h) => [h.index, h.requests]),
      [
        [0, 20],
        [1, 20],
      ],
    );
    for (const h of merged.hosts) assert.equal(typeof h.clock_offset_ms, 'number', 'measured at the barrier');
    assert.ok(
      !merged.warnings.some((w) => /are missing|clocks disagree|agreed start|the hosts differ|ms apart/.test(w)),
      merged.warnings.join('\n'),
    );
  },
);
