/**
 * The hosts of one run must have run the same run: the split (shard i of N·n) is exact only when
 * every host has the same N, the same shards per host (--workers), the same seeds, the same
 * dataset and the same load. Each host puts this fingerprint in its summary's `host` block (and in
 * its ready file at a start barrier, where host 0 refuses to start a run whose hosts disagree);
 * the merge compares them again and refuses (exit 2) naming what differs.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { BenchmarkSettings } from '../config/benchmark-settings.js';
import type { LoadedDataset } from '../dataset/load-dataset.js';

export interface RunFingerprint {
  /** N: the hosts the run is split over. */
  hosts: number;
  /** Shard processes on this host (--workers, as planned): every host must run the same. */
  shards_per_host: number;
  scheduler_seed: number;
  dataloader_seed: number;
  /** The dataset's file name (or `synthetic`), its rows, and a hash of (up to 1024 of) the rows this host read, in order. */
  dataset: string;
  dataset_rows: number;
  dataset_sha256: string | null;
  load_pattern: string;
  /** The run's total rate and concurrency (not this host's share). */
  target_qps: number | null;
  concurrency: number | null;
  num_samples: number | null;
  duration_ms: number | null;
  model: string;
  streaming: boolean;
  api_type: string;
  max_output_tokens: number | null;
  /** Harmless when they differ (a warning): the tool's version and the endpoints as this host saw them. */
  tool_version: string;
  endpoints: string[];
}

/** Fields whose difference is only worth a warning; every other field must match. */
const WARN_ONLY: ReadonlySet<keyof RunFingerprint> = new Set<keyof RunFingerprint>(['tool_version', 'endpoints']);

/**
 * Rows hashed for the dataset's identity: evenly spaced over the file, so another file or another
 * version of it shows, at a fixed cost (hashing all of 100k 1 KB rows took 1.3 s on the test host).
 */
const HASHED_ROWS = 1024;

/** sha256 (first 16 hex digits) of up to HASHED_ROWS rows as read; null when the shards read the rows themselves. */
function datasetHash(dataset: Pick<LoadedDataset, 'samples'>): string | null {
  const rows = dataset.samples;
  if (rows.length === 0) return null;
  const h = createHash('sha256');
  const step = Math.max(1, rows.length / HASHED_ROWS);
  for (let i = 0; i < rows.length; i += step) h.update(JSON.stringify(rows[Math.floor(i)])).update('\n');
  return h.digest('hex').slice(0, 16);
}

const finite = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

export function runFingerprint(
  s: BenchmarkSettings,
  hosts: number,
  shardsPerHost: number,
  dataset: Pick<LoadedDataset, 'samples' | 'source' | 'rows'>,
  toolVersion: string,
  /** The endpoints' display names (no credentials). */
  endpointNames: readonly string[],
): RunFingerprint {
  return {
    hosts,
    shards_per_host: shardsPerHost,
    scheduler_seed: s.schedulerRandomSeed,
    dataloader_seed: s.dataloaderRandomSeed,
    dataset: dataset.source === 'synthetic' ? 'synthetic' : path.basename(dataset.source),
    dataset_rows: dataset.rows,
    dataset_sha256: datasetHash(dataset),
    load_pattern: s.loadPattern,
    target_qps: finite(s.targetQps),
    concurrency: finite(s.concurrency),
    num_samples: finite(s.numSamples),
    duration_ms: finite(s.duration),
    model: s.model,
    streaming: s.streaming,
    api_type: s.apiType,
    max_output_tokens: finite(s.maxOutputTokens),
    tool_version: toolVersion,
    endpoints: [...endpointNames],
  };
}

export interface FingerprintDifferences {
  /** "--workers: host 0 has 2, host 1 has 1": the run is not one run. */
  refuse: string[];
  warn: string[];
}

/** The option a user changes for each field (what the message names). */
const FIELD_NAMES: Record<keyof RunFingerprint, string> = {
  hosts: 'hosts (N of --shard i/N)',
  shards_per_host: 'shards per host (--workers)',
  scheduler_seed: '--scheduler-random-seed',
  dataloader_seed: '--dataloader-random-seed',
  dataset: 'dataset (--dataset)',
  dataset_rows: 'dataset rows',
  dataset_sha256: 'dataset contents',
  load_pattern: '--load-pattern',
  target_qps: '--target-qps',
  concurrency: '--concurrency',
  num_samples: '--num-samples',
  duration_ms: '--duration',
  model: '--model',
  streaming: '--streaming',
  api_type: '--api-type',
  max_output_tokens: '--max-output-tokens',
  tool_version: 'llm-loadgen version',
  endpoints: '--endpoints',
};

const show = (v: unknown): string => (Array.isArray(v) ? v.join(',') : String(v));

/**
 * What differs between the hosts' fingerprints (by host index). A host without one (written by an
 * older llm-loadgen) is left out of the comparison.
 */
export function compareFingerprints(
  hosts: readonly { index: number; fingerprint?: RunFingerprint }[],
): FingerprintDifferences {
  const out: FingerprintDifferences = { refuse: [], warn: [] };
  const known = hosts.filter((h): h is { index: number; fingerprint: RunFingerprint } => h.fingerprint !== undefined);
  if (known.length < 2) return out;
  for (const key of Object.keys(FIELD_NAMES) as (keyof RunFingerprint)[]) {
    const byValue = new Map<string, number[]>();
    for (const h of known) {
      const v = show(h.fingerprint[key]);
      byValue.set(v, [...(byValue.get(v) ?? []), h.index]);
    }
    if (byValue.size < 2) continue;
    const parts = [...byValue].map(([v, idx]) => `host${idx.length > 1 ? 's' : ''} ${idx.join(', ')}: ${v}`);
    (WARN_ONLY.has(key) ? out.warn : out.refuse).push(`${FIELD_NAMES[key]} differs (${parts.join('; ')})`);
  }
  return out;
}
