/**
 * No cluster is reachable here, so the Kubernetes files are run as a cluster would run them, on
 * this machine: the shard Job's container command, exactly as job.yaml has it (its `$(VAR)`s
 * expanded as the kubelet does), once per completion index with JOB_COMPLETION_INDEX set, with
 * the ConfigMap's run.yaml where the pod mounts it; and the merge Job's command, which waits for
 * every shard's summary and merges them. Only the mount points move (/config, /results → a
 * temporary directory), and `llm-loadgen` is this checkout's CLI. The endpoint is the mock.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { startMockServer, type RunningMockServer } from '../../src/servers/mock-openai-server.js';
import { CLI_MAIN, PROJECT_ROOT, makeTempDir, readJson, type TempDir } from '../cli/cli-process.js';

const DIR = path.join(PROJECT_ROOT, 'deploy', 'kubernetes');
const TSX = path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');

interface Container {
  command: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface JobYaml {
  spec: { completions: number; template: { spec: { containers: Container[] } } };
}

async function job(name: string): Promise<JobYaml> {
  return parse(await readFile(path.join(DIR, name), 'utf8')) as JobYaml;
}

/** Runs a container's command; `cwd` is the container's own file system (its default results database goes there). */
async function run(
  command: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; out: string }> {
  await mkdir(cwd, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

let server: RunningMockServer;
let tmp: TempDir;
before(async () => {
  server = await startMockServer({ outputTokens: 4 });
  tmp = await makeTempDir('llm-loadgen-k8s-');
});
after(async () => {
  await server?.close();
  await tmp?.cleanup();
});

test('the shard pods’ command (one per JOB_COMPLETION_INDEX) and the merge Job’s, run as shipped, make one run', async () => {
  const shardJob = await job('job.yaml');
  const mergeJob = await job('merge-job.yaml');
  const shard = shardJob.spec.template.spec.containers[0];
  const merge = mergeJob.spec.template.spec.containers[0];
  // The mount points, moved into the temporary directory.
  const mounts = new Map<string, string>();
  for (const m of [...(shard.volumeMounts ?? []), ...(merge.volumeMounts ?? [])])
    mounts.set(m.mountPath, path.join(tmp.dir, m.name));
  const moved = (s: string) => {
    for (const [from, to] of mounts) s = s.replaceAll(`${from}/`, `${to}/`).replaceAll(`"${from}"`, `"${to}"`);
    return s;
  };
  const config = parse(await readFile(path.join(DIR, 'configmap.yaml'), 'utf8')) as { data: Record<string, string> };
  const configDir = path.join(tmp.dir, 'config');
  await mkdir(configDir, { recursive: true });
  await writeFile(path.join(configDir, 'run.yaml'), config.data['run.yaml']);
  // `llm-loadgen` on PATH: this checkout's CLI.
  const bin = path.join(tmp.dir, 'bin');
  await mkdir(bin);
  await writeFile(
    path.join(bin, 'llm-loadgen'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} --import ${JSON.stringify(TSX)} ${JSON.stringify(CLI_MAIN)} "$@"\n`,
  );
  await chmod(path.join(bin, 'llm-loadgen'), 0o755);
  const base: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
  delete base.NODE_TEST_CONTEXT;
  delete base.OPENAI_API_KEY;
  const envOf = (c: Container, extra: Record<string, string>) => {
    const env: NodeJS.ProcessEnv = { ...base };
    for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    // What a user sets for their cluster (the pod's LLM_ENDPOINT points at the mock), and a short run.
    return {
      ...env,
      LLM_ENDPOINT: server.url,
      LLM_MODEL: 'm',
      LLM_TARGET_QPS: '8',
      LLM_DURATION_MS: '3000',
      ...extra,
    };
  };
  // The kubelet expands $(VAR) in a command from the container's environment.
  const expand = (args: string[], env: NodeJS.ProcessEnv) =>
    args.map((a) => moved(a.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => env[name] ?? `$(${name})`)));

  const completions = shardJob.spec.completions;
  const mergeRun = run(
    expand(merge.command, envOf(merge, {})),
    envOf(merge, {}),
    path.join(tmp.dir, 'merge-pod'),
    240_000,
  );
  const pods = await Promise.all(
    Array.from({ length: completions }, (_, i) => {
      const env = envOf(shard, { JOB_COMPLETION_INDEX: String(i) });
      return run(expand(shard.command, env), env, path.join(tmp.dir, `pod-${i}`), 200_000);
    }),
  );
  for (const [i, p] of pods.entries()) assert.equal(p.code, 0, `pod ${i}:\n${p.out.slice(-3000)}`);
  const m = await mergeRun;
  assert.equal(m.code, 0, `merge:\n${m.out.slice(-3000)}`);
  const runId = shard.env!.find((e) => e.name === 'RUN_ID')!.value!;
  const merged = await readJson<{
    n_samples_issued: number;
    n_samples_completed: number;
    n_samples_failed: number;
    hosts: { index: number; requests: number; failed: number }[];
    warnings: string[];
  }>(path.join(mounts.get('/results')!, runId, 'merged', REPORT_FILES.summary));
  assert.deepEqual(
    merged.hosts.map((h) => h.index),
    Array.from({ length: completions }, (_, i) => i),
  );
  assert.equal(
    merged.n_samples_issued,
    merged.hosts.reduce((a, h) => a + h.requests, 0),
  );
  assert.ok(merged.n_samples_issued > 0);
  assert.equal(merged.n_samples_failed, 0);
  assert.ok(
    !merged.warnings.some((w) => /are missing|clocks disagree|agreed start|the hosts differ|ms apart/.test(w)),
    merged.warnings.join('\n'),
  );
});
