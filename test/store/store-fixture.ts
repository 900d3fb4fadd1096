/** Records for the store's tests: seeded, with every shape a run produces (failures, NaN times, bursts). */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SummaryContext } from '../../src/metrics/result-summary.js';
import { packRecords, type RecordBatch } from '../../src/record/record-batch.js';
import { RequestErrorCode, type RequestRecord } from '../../src/record/request-record.js';
import { ResultsStore, type RunMeta } from '../../src/store/results-store.js';
import { StoreRecordSink } from '../../src/store/store-record-sink.js';

/** xorshift32: the same records every run. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

export const START_NS = 5e12;

/** The summary input the store tests share: a 12 s online Poisson run at 400 req/s over two shards. */
export const SUMMARY_INPUT: SummaryContext = {
  state: 'complete',
  startNs: START_NS,
  endNs: START_NS + 1.2e10,
  mode: 'online',
  loadPattern: 'poisson',
  offeredQps: 400,
  shards: 2,
};

/** `n` records, about one in ten failed, some non-streaming; chunk times with repeats (reads of several tokens). */
export function makeRecords(n: number, seed = 1): RequestRecord[] {
  const rnd = seeded(seed);
  const out: RequestRecord[] = [];
  for (let id = 0; id < n; id++) {
    const scheduled = START_NS + Math.floor(rnd() * 1e10);
    const sent = scheduled + Math.floor(rnd() * 1e6) + 0.25;
    const fail = rnd() < 0.1;
    const streaming = rnd() < 0.9;
    const tokens = 1 + Math.floor(rnd() * 40);
    const first = sent + Math.floor(rnd() * 5e7);
    const chunks: number[] = [];
    let t = first;
    for (let c = 0; c < tokens && streaming && !fail; c++) {
      if (c > 0 && rnd() < 0.7) t += Math.floor(rnd() * 3e6);
      chunks.push(t);
    }
    const end = fail ? sent + 1e6 : t + 1000;
    const fresh = rnd() < 0.2;
    out.push({
      id,
      sampleIndex: id % 17,
      shard: id % 2,
      endpoint: id % 3,
      sourceIp: id % 5 === 0 ? '127.0.0.2' : '',
      streaming,
      reused: !fresh,
      scheduled,
      dispatched: scheduled + 100.5,
      connectStart: fresh ? scheduled + 200 : NaN,
      connected: scheduled + 300,
      sent,
      headers: fail ? NaN : first - 10,
      firstChunk: fail || !streaming ? NaN : first - 5,
      firstToken: fail ? NaN : first,
      end,
      chunkTimes: Float64Array.from(chunks),
      status: fail ? 503 : 200,
      error: fail ? RequestErrorCode.httpStatus : '',
      errorMessage: fail ? `HTTP 503: busy ${id % 4}` : '',
      finishReason: fail ? '' : rnd() < 0.8 ? 'stop' : 'length',
      inputTokens: 10 + Math.floor(rnd() * 500),
      outputTokens: fail ? 0 : tokens,
      cachedTokens: rnd() < 0.5 ? -1 : Math.floor(rnd() * 10),
      retries: rnd() < 0.05 ? 1 : 0,
      tokenSource: fail ? 'none' : rnd() < 0.9 ? 'usage' : 'chunks',
    });
  }
  return out;
}

/** Packed as shards send them: batches of `size`. */
export function batchesOf(records: RequestRecord[], size = 300): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let i = 0; i < records.length; i += size) out.push(packRecords(records.slice(i, i + size)));
  return out;
}

export function runMeta(id: string, over: Partial<RunMeta> = {}): RunMeta {
  return {
    id,
    name: null,
    labels: {},
    startedAt: new Date(),
    reportDir: null,
    endpoints: ['http://127.0.0.1:1'],
    model: 'm',
    mode: 'online',
    loadPattern: 'poisson',
    streaming: true,
    targetQps: 100,
    shards: 1,
    configYaml: 'model_params:\n  name: m\n',
    toolVersion: '0.1.0',
    gitSha: null,
    host: 'test',
    ...over,
  };
}

/** A store in a fresh temp dir with `records` stored as run `id`; removed by the returned cleanup. */
export async function storeWith(
  records: RequestRecord[],
  id = 'r1',
  over: Partial<RunMeta> = {},
): Promise<{ store: ResultsStore; seq: number; dir: string; itlGaps: number; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llm-loadgen-store-'));
  const store = await ResultsStore.open(path.join(dir, 'results.duckdb'));
  const seq = await store.createRun(runMeta(id, over));
  await store.markStarted(seq, START_NS);
  const sink = await StoreRecordSink.create(await store.connect(), seq);
  for (const b of batchesOf(records)) sink.push(b);
  sink.close();
  return {
    store,
    seq,
    dir,
    itlGaps: sink.itlGaps,
    cleanup: async () => {
      store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The fixture's records with every shape the summary tells apart: error kinds, statuses, finish reasons, sources. */
export function variedRecords(n: number, seed: number): RequestRecord[] {
  const rnd = seeded(seed * 7 + 1);
  const reasons = ['stop', 'length', 'tool_calls', 'content_filter', 'something_else', ''];
  return makeRecords(n, seed).map((r, i) => {
    const u = rnd();
    if (r.error !== '') {
      if (u < 0.3) return { ...r, status: 429, errorMessage: `HTTP 429: slow down ${i % 3}` };
      if (u < 0.5) return { ...r, error: RequestErrorCode.connectionReset, status: 0, errorMessage: '' };
      if (u < 0.6) return { ...r, error: RequestErrorCode.connectRefused, status: 0, errorMessage: `refused ${i}` };
      return r;
    }
    const out = { ...r, finishReason: reasons[Math.floor(rnd() * reasons.length)] };
    // No usage: ISL unmeasured; a non-streaming answer without usage has no OSL either.
    if (u < 0.05)
      return { ...out, inputTokens: -1, tokenSource: r.streaming ? ('chunks' as const) : ('none' as const) };
    return out;
  });
}
