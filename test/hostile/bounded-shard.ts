/**
 * Runs the real engine (a ShardRunner, in-process) against one server with a hard time bound, and
 * checks the accounting contract every hostile case shares: one record per issued request, unique
 * complete ids, each ending in success or one named outcome code, issued = completed + failed.
 */
import assert from 'node:assert/strict';
import { monotonicNs } from '../../src/record/clock.js';
import { unpackRecords } from '../../src/record/record-batch.js';
import { RequestErrorCode, type RequestRecord } from '../../src/record/request-record.js';
import type { ShardPlan, ShardSummary } from '../../src/shard/shard-plan.js';
import { ShardRunner } from '../../src/shard/shard-runner.js';
import { loopbackPlan } from '../fixtures/shard-plan.js';

export const MS = 1e6;

export function shardPlan(
  port: number,
  overrides: Partial<ShardPlan> = {},
  scheme: 'http' | 'https' = 'http',
): ShardPlan {
  return loopbackPlan(port, { maxRequests: 3, captureText: true, ...overrides }, { scheme });
}

export interface BoundedRun {
  records: RequestRecord[];
  summary: ShardSummary;
  elapsedMs: number;
  /** Peak growth of heap + external memory over the run, bytes (sampled every 5 ms). */
  peakMemoryGrowth: number;
}

function heldBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Every code a record may carry: the named ones, read from the source of truth. */
const KNOWN_CODES = new Set<string>(Object.values(RequestErrorCode));

/**
 * Run `plan` to completion; fails (after aborting the shard) if it takes longer than `limitMs`.
 * The guard is the "no hang past the timeout" assertion of every case.
 */
export async function runBounded(plan: ShardPlan, limitMs: number): Promise<BoundedRun> {
  const records: RequestRecord[] = [];
  const runner = new ShardRunner(plan, { records: (b) => records.push(...unpackRecords(b)), progress: () => {} });
  const baseline = heldBytes();
  let peak = baseline;
  const sampler = setInterval(() => {
    const now = heldBytes();
    if (now > peak) peak = now;
  }, 5);
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      runner.abort();
      reject(new Error(`the shard did not finish within the case's hard bound of ${limitMs} ms (a hang)`));
    }, limitMs);
  });
  const t0 = performance.now();
  try {
    const summary = await Promise.race([runner.run(monotonicNs()), guard]);
    const elapsedMs = performance.now() - t0;
    const last = heldBytes();
    if (last > peak) peak = last;
    records.sort((a, b) => a.id - b.id);
    assert.equal(records.length, summary.issued, 'exactly one record per issued request');
    assert.deepEqual(
      records.map((r) => r.id),
      Array.from({ length: summary.issued }, (_, i) => i),
      'record ids are unique and complete',
    );
    assert.equal(summary.inFlight, 0);
    assert.equal(summary.completed + summary.failed, summary.issued, 'issued = completed + failed');
    for (const r of records) {
      assert.ok(r.error === '' || KNOWN_CODES.has(r.error), `record ${r.id}: unnamed outcome "${r.error}"`);
      assert.ok(Number.isFinite(r.end), `record ${r.id} has an end`);
      assert.ok(r.end >= r.dispatched, `record ${r.id}: end >= dispatched`);
      if (r.error !== '') assert.notEqual(r.errorMessage, '', `record ${r.id}: a failure says why`);
    }
    return { records, summary, elapsedMs, peakMemoryGrowth: peak - baseline };
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
  }
}
