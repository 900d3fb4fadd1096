/**
 * Splitting a run into shards: each shard gets only its rows of the dataset, and together the
 * shards still send every row exactly once in an offline run (request id = dataset row).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseEndpoint } from '../../src/api/endpoint.js';
import { resolveSettings } from '../../src/config/benchmark-settings.js';
import { monotonicNs } from '../../src/record/clock.js';
import { unpackRecords } from '../../src/record/record-batch.js';
import type { RequestRecord } from '../../src/record/request-record.js';
import { splitIntoShards } from '../../src/run/shard-split.js';
import { ShardRunner } from '../../src/shard/shard-runner.js';

/** Answers every chat request with a one-token JSON answer and remembers each prompt. */
async function promptRecorder(): Promise<{ url: string; prompts: string[]; close(): Promise<void> }> {
  const prompts: string[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { messages: { content: string }[] };
      prompts.push(body.messages[0].content);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          choices: [{ index: 0, message: { content: 'x' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, prompts, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function runOffline(
  rows: number,
  shards: number,
): Promise<{ records: RequestRecord[]; prompts: string[]; rowsPerShard: number[] }> {
  const server = await promptRecorder();
  try {
    const samples = Array.from({ length: rows }, (_, i) => ({ prompt: `row ${i}` }));
    const settings = resolveSettings({ mode: 'offline', endpoints: [server.url], model: 'm', workers: shards }, rows);
    const endpoint = { ...parseEndpoint(server.url, 'chat'), address: '127.0.0.1' };
    const plans = splitIntoShards({ settings, endpoints: [endpoint], samples, shards, perShardPerEndpoint: 4 });
    const records: RequestRecord[] = [];
    await Promise.all(
      plans.map((plan) =>
        new ShardRunner(plan, { records: (b) => records.push(...unpackRecords(b)), progress: () => {} }).run(
          monotonicNs(),
        ),
      ),
    );
    return {
      records: records.sort((a, b) => a.id - b.id),
      prompts: server.prompts,
      rowsPerShard: plans.map((p) => p.samples.length),
    };
  } finally {
    await server.close();
  }
}

test('each shard holds only its rows, and an offline run still sends every row once, as request id = row', async () => {
  const { records, prompts, rowsPerShard } = await runOffline(10, 3);
  assert.deepEqual(rowsPerShard, [4, 3, 3], 'rows 0,3,6,9 / 1,4,7 / 2,5,8');
  assert.equal(records.length, 10);
  for (const r of records) {
    assert.equal(r.error, '', r.errorMessage);
    assert.equal(r.sampleIndex, r.id, `request ${r.id} used row ${r.sampleIndex}`);
  }
  assert.deepEqual(
    [...prompts].sort(),
    Array.from({ length: 10 }, (_, i) => `row ${i}`).sort(),
    'every row sent exactly once',
  );
});

test('fewer rows than shards: every shard gets them all and request id uses row id mod rows', async () => {
  const { records, prompts, rowsPerShard } = await runOffline(2, 3);
  assert.deepEqual(rowsPerShard, [2, 2, 2]);
  assert.equal(records.length, 2);
  for (const r of records) assert.equal(r.sampleIndex, r.id % 2);
  assert.deepEqual([...prompts].sort(), ['row 0', 'row 1']);
});

test('a dataset too large to cache whole requests for: each request is assembled when issued, bytes unchanged', async () => {
  // 2 endpoints × 8,200 rows is past the whole-request cache (16,384).
  const servers = [await promptRecorder(), await promptRecorder()];
  try {
    const rows = 8_200;
    const samples = Array.from({ length: rows }, (_, i) => ({ prompt: `row ${i}` }));
    const urls = servers.map((s) => s.url);
    const settings = resolveSettings(
      { mode: 'offline', endpoints: urls, model: 'm', workers: 1, numSamples: 40 },
      rows,
    );
    const endpoints = urls.map((u) => ({ ...parseEndpoint(u, 'chat'), address: '127.0.0.1' }));
    const [plan] = splitIntoShards({ settings, endpoints, samples, shards: 1, perShardPerEndpoint: 4 });
    const records: RequestRecord[] = [];
    await new ShardRunner(plan, { records: (b) => records.push(...unpackRecords(b)), progress: () => {} }).run(
      monotonicNs(),
    );
    assert.equal(records.length, 40);
    for (const r of records) assert.equal(r.error, '', r.errorMessage);
    // Requests alternate between the endpoints; request k carries row k.
    assert.deepEqual(servers[0].prompts.sort(), Array.from({ length: 20 }, (_, i) => `row ${2 * i}`).sort());
    assert.deepEqual(servers[1].prompts.sort(), Array.from({ length: 20 }, (_, i) => `row ${2 * i + 1}`).sort());
  } finally {
    for (const s of servers) await s.close();
  }
});
