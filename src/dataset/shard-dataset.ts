/**
 * Large datasets are read by the shards, not sent to them. The main process reads the file once
 * to check every row and count them, keeping none (a 181 MB JSONL took the main process to 299 MB
 * and each of two shards to ~230 MB when the rows were loaded in the main process and sent over
 * IPC); each shard then reads the file itself and keeps only its own rows — the same rows, in the
 * same order, as the main process would have sent it (rows i, i + N, … of the seeded shuffle).
 * A JSONL line that is not the shard's is never parsed.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError, ErrorCode } from '../errors.js';
import type { ColumnMap } from './column-mapping.js';
import { datasetRows, readSamples } from './dataset-reader.js';
import { saltSample } from './salt-prompt.js';
import type { ShardPlan } from '../shard/shard-plan.js';
import type { Sample } from './sample.js';
import { sampleOrder } from './sample-order.js';

/**
 * Files at least this large are read by the shards. Below it the rows cost little to send, and
 * the main process keeps them (the probe and token counting use them there).
 */
export const SHARD_READ_BYTES = 32 * 1024 * 1024;

/** What a shard needs to read its rows of a dataset the main process has checked (plain data: crosses IPC). */
export interface ShardDatasetSource {
  path: string;
  format?: string;
  columns?: ColumnMap;
  limit?: number;
  /** Good rows the main process counted (after the limit and skipped rows). */
  rows: number;
  /** Raw row positions the main process skipped (--skip-bad-rows). */
  skippedPositions: number[];
  shuffle: boolean;
  seed: number;
  /** Salt each row once (a warmup with --warmup-salt). */
  salt?: boolean;
}

/** Bytes of a dataset file or save_to_disk directory (its files, one level down). */
export async function datasetBytes(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(path, entry.name))).size;
    else if (entry.isDirectory()) total += await datasetBytes(join(path, entry.name));
  }
  return total;
}

/** A shard's rows, and each one's dataset row when they were shuffled (ShardPlan.sampleRows). */
export interface ShardSamples {
  samples: Sample[];
  sampleRows?: Uint32Array;
}

/**
 * This shard's rows: partitioned, rows shardIndex, shardIndex + shardCount, … of the (shuffled)
 * order; otherwise every row in that order.
 */
export async function loadShardSamples(
  source: ShardDatasetSource,
  shardIndex: number,
  shardCount: number,
  partitioned: boolean,
): Promise<ShardSamples> {
  const rows = source.rows;
  const order = source.shuffle && rows > 1 ? sampleOrder(rows, rows, source.seed, true) : null;
  // position of data row d in the send order
  const position = new Uint32Array(rows);
  for (let p = 0; p < rows; p++) position[order === null ? p : order[p]] = p;
  const slots = partitioned ? Math.ceil((rows - shardIndex) / shardCount) : rows;
  const place = partitioned
    ? (d: number) => {
        const p = position[d];
        return p % shardCount === shardIndex ? (p - shardIndex) / shardCount : -1;
      }
    : (d: number) => position[d];
  const read = await readSamples(source.path, datasetRows(source.path, source.format), {
    columns: source.columns,
    limit: source.limit,
    place,
    slots,
    knownBad: new Set(source.skippedPositions),
  });
  let complete = read.rows === rows;
  for (let k = 0; k < slots && complete; k++) complete = read.samples[k] !== undefined;
  if (!complete) {
    throw new BadInputError(
      ErrorCode.datasetUnreadable,
      `${source.path}: the dataset changed while the run started (${rows} rows checked, ${read.rows} read by shard ${shardIndex}). Run again with a file nothing writes to.`,
    );
  }
  const samples = source.salt === true ? read.samples.map(saltSample) : read.samples;
  if (order === null) return { samples };
  const sampleRows = partitioned
    ? Uint32Array.from({ length: slots }, (_, k) => order[k * shardCount + shardIndex])
    : order;
  return { samples, sampleRows };
}

/** The plans for a dataset the shards read: no rows in the plan, the source instead. */
export function withShardSource(plans: ShardPlan[], source: ShardDatasetSource | undefined): ShardPlan[] {
  if (source === undefined) return plans;
  return plans.map((plan) => ({
    ...plan,
    samples: [],
    samplesPartitioned: source.rows >= plan.shardCount,
    datasetSource: source,
  }));
}

/** A plan with its rows in it: read by the shard itself when the plan names a source. */
export async function shardPlanWithRows(plan: ShardPlan): Promise<ShardPlan> {
  if (plan.datasetSource === undefined) return plan;
  const { samples, sampleRows } = await loadShardSamples(
    plan.datasetSource,
    plan.shardIndex,
    plan.shardCount,
    plan.samplesPartitioned,
  );
  return { ...plan, samples, sampleRows, datasetSource: undefined };
}
