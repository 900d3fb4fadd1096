/**
 * records' sample_index is the dataset row a request was built from (MLPerf's sample index), not
 * its position in the shuffled send order. A plain node:http endpoint reads the row number out of
 * the prompt and answers it as usage.prompt_tokens (1000 + row), so every record can be checked
 * against what was really sent: single-turn with one and three shards, and multi-turn.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { assertExit, readJsonl, runCli, withTemp, cli } from '../cli/cli-process.js';

const ROWS = 40;
const BASE = 1000;

/** Answers every chat request with usage.prompt_tokens = BASE + the number after "row " in the last user message. */
async function startRowEchoServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        messages: { role: string; content: string }[];
      };
      const last = body.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
      const row = Number(/row (\d+)/.exec(last)?.[1] ?? NaN);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          created: 0,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: BASE + row, completion_tokens: 1, total_tokens: BASE + row + 1 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Rec {
  id: number;
  sample_index: number;
  input_tokens: number;
  error: string | null;
}

async function records(dir: string): Promise<Rec[]> {
  return ((await readJsonl(path.join(dir, REPORT_FILES.records))) as unknown as Rec[]).sort((a, b) => a.id - b.id);
}

function assertRowsMatch(recs: Rec[], expectRows: number): void {
  for (const r of recs) {
    assert.equal(r.error, null);
    assert.equal(r.sample_index, r.input_tokens - BASE, `record ${r.id}: sample_index names the row that was sent`);
  }
  assert.deepEqual(
    [...new Set(recs.map((r) => r.sample_index))].sort((a, b) => a - b),
    Array.from({ length: expectRows }, (_, i) => i),
    'every row sent once',
  );
  // The send order is a shuffle: were it the identity, this test could not tell position from row.
  assert.notDeepEqual(
    recs.map((r) => r.sample_index),
    recs.map((_, k) => k),
  );
}

for (const workers of [1, 3]) {
  test(`single-turn, ${workers} shard(s): sample_index is the dataset row of a shuffled dataset`, async () => {
    const server = await startRowEchoServer();
    try {
      await withTemp(async (tmp) => {
        const dataset = path.join(tmp.dir, 'rows.jsonl');
        await writeFile(
          dataset,
          Array.from({ length: ROWS }, (_, i) => JSON.stringify({ prompt: `row ${i}` })).join('\n'),
        );
        const report = path.join(tmp.dir, 'report');
        const r = await runCli(
          cli`benchmark offline --endpoints ${server.url} --model m --dataset ${dataset} --num-samples ${ROWS} --workers ${workers} --report-dir ${report}`,
        );
        assertExit(r, 0);
        const recs = await records(report);
        assert.equal(recs.length, ROWS);
        assertRowsMatch(recs, ROWS);
      });
    } finally {
      await server.close();
    }
  });
}

test('multi-turn: every turn names its conversation’s dataset row', async () => {
  const server = await startRowEchoServer();
  try {
    await withTemp(async (tmp) => {
      const conversations = Array.from({ length: 12 }, (_, c) => ({
        id: `c${c}`,
        conversations: [
          { from: 'human', value: `row ${c} q1` },
          { from: 'gpt', value: 'a1' },
          { from: 'human', value: `row ${c} q2` },
        ],
      }));
      const dataset = path.join(tmp.dir, 'sharegpt.json');
      await writeFile(dataset, JSON.stringify(conversations));
      const report = path.join(tmp.dir, 'report');
      const r = await runCli(
        cli`benchmark online --endpoints ${server.url} --model m --dataset ${dataset} --multi-turn --concurrency 2 --workers 2 --report-dir ${report}`,
      );
      assertExit(r, 0);
      const recs = await records(report);
      assert.equal(recs.length, 24, 'two turns of each of 12 conversations');
      assertRowsMatch(recs, 12);
    });
  } finally {
    await server.close();
  }
});
