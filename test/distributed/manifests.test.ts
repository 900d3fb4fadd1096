/**
 * The Kubernetes files in deploy/kubernetes validate against the Kubernetes OpenAPI schema
 * (kubernetes-models), and hold together: an Indexed Job with completions = parallelism = --shards,
 * one pod per node, the config and the results volume mounted where the command reads them, and
 * a merge Job waiting for the same number of shards.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PROJECT_ROOT } from '../cli/cli-process.js';

const DIR = path.join(PROJECT_ROOT, 'deploy', 'kubernetes');

async function manifest(name: string): Promise<Record<string, unknown>> {
  return parse(await readFile(path.join(DIR, name), 'utf8')) as Record<string, unknown>;
}

test('every manifest is valid against the Kubernetes schema', async () => {
  new ConfigMap(await manifest('configmap.yaml')).validate();
  new PersistentVolumeClaim(await manifest('results-pvc.yaml')).validate();
  new Job(await manifest('job.yaml')).validate();
  new Job(await manifest('merge-job.yaml')).validate();
});

test('the validation catches a broken manifest (the check can fail)', async () => {
  const job = await manifest('job.yaml');
  const spec = job.spec as { completions: unknown };
  spec.completions = 'four';
  assert.throws(() => new Job(job).validate(), /completions/);
});

test('the Job, its command and the merge agree', async () => {
  const job = new Job(await manifest('job.yaml'));
  const spec = job.spec!;
  assert.equal(spec.completionMode, 'Indexed');
  assert.equal(spec.completions, spec.parallelism);
  const pod = spec.template.spec!;
  const anti = pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0];
  assert.equal(anti?.topologyKey, 'kubernetes.io/hostname', 'one shard pod per node');
  const container = pod.containers[0];
  const command = container.command!;
  assert.equal(command[command.indexOf('--shards') + 1], String(spec.completions));
  const mounts = new Map((container.volumeMounts ?? []).map((m) => [m.name, m.mountPath]));
  assert.equal(command[command.indexOf('-c') + 1], `${mounts.get('config')}/run.yaml`);
  assert.ok(command[command.indexOf('--report-dir') + 1].startsWith(`${mounts.get('results')}/`));
  assert.ok(container.resources?.requests?.cpu !== undefined, 'resource requests are set');
  // Every host must run the same --workers (the barrier refuses hosts that do not): one per requested core.
  assert.equal(command[command.indexOf('--workers') + 1], String(container.resources.requests.cpu));
  const config = new ConfigMap(await manifest('configmap.yaml'));
  assert.ok('run.yaml' in (config.data ?? {}));
  const merge = new Job(await manifest('merge-job.yaml'));
  const mergeEnv = new Map((merge.spec!.template.spec!.containers[0].env ?? []).map((e) => [e.name, e.value]));
  const shardEnv = new Map((container.env ?? []).map((e) => [e.name, e.value]));
  assert.equal(mergeEnv.get('SHARDS'), String(spec.completions));
  assert.equal(mergeEnv.get('RUN_ID'), shardEnv.get('RUN_ID'));
});
