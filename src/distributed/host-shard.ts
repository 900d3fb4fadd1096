/**
 * Which part of a multi-host run this process is: host i of N. Given as `--shard i/N`, or read
 * from the environment the orchestrator sets: a Kubernetes Indexed Job's JOB_COMPLETION_INDEX
 * (with `--shards N`, the Job's completions), Slurm's SLURM_PROCID and SLURM_NTASKS. The flag
 * wins over the environment, so a pod's command line can be run anywhere as it is.
 */
export interface HostShard {
  /** 0-based. */
  index: number;
  count: number;
  /** Where it came from, for the console and the report. */
  source: '--shard' | 'JOB_COMPLETION_INDEX' | 'SLURM_PROCID';
}

/** Throws Error with a message for the user (the caller names the flag). */
export function parseShardSpec(text: string): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (m === null) throw new Error(`"${text}" is not i/N (e.g. 0/4: the first of four hosts)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new Error(`"${text}": N must be at least 1`);
  if (index >= count) throw new Error(`"${text}": i counts from 0, so it must be below N (${count})`);
  return { index, count };
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\d+$/.test(raw.trim())) throw new Error(`${name}=${raw} is not a non-negative integer`);
  return Number(raw.trim());
}

/**
 * This host's shard, or null for a single-host run. `shard` is `--shard i/N`; `shards` is
 * `--shards N` (the count when the index comes from JOB_COMPLETION_INDEX).
 */
export function resolveHostShard(
  shard: string | undefined,
  shards: number | undefined,
  env: NodeJS.ProcessEnv = process.env,
): HostShard | null {
  if (shard !== undefined) {
    const { index, count } = parseShardSpec(shard);
    if (shards !== undefined && shards !== count)
      throw new Error(`--shard ${shard} says ${count} hosts but --shards says ${shards}`);
    return { index, count, source: '--shard' };
  }
  const k8s = envInt(env, 'JOB_COMPLETION_INDEX');
  if (k8s !== undefined) {
    if (shards === undefined)
      throw new Error(
        'JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but not how many hosts: add --shards N (the Job’s completions)',
      );
    if (k8s >= shards) throw new Error(`JOB_COMPLETION_INDEX=${k8s} is not below --shards ${shards}`);
    return { index: k8s, count: shards, source: 'JOB_COMPLETION_INDEX' };
  }
  const procId = envInt(env, 'SLURM_PROCID');
  const tasks = envInt(env, 'SLURM_NTASKS');
  if (procId !== undefined && tasks !== undefined && (tasks > 1 || shards !== undefined)) {
    if (shards !== undefined && shards !== tasks)
      throw new Error(`SLURM_NTASKS=${tasks} but --shards ${shards}: start one task per host (srun --ntasks N)`);
    if (procId >= tasks) throw new Error(`SLURM_PROCID=${procId} is not below SLURM_NTASKS=${tasks}`);
    return { index: procId, count: tasks, source: 'SLURM_PROCID' };
  }
  if (shards !== undefined && shards > 1)
    throw new Error(
      `--shards ${shards} needs this host's index: --shard i/${shards}, or JOB_COMPLETION_INDEX / SLURM_PROCID from the orchestrator`,
    );
  return null;
}
