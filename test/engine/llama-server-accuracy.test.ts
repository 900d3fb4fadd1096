/**
 * An accuracy run against a real engine: llama-server with the tiny random-weight model
 * (test/fixtures/llama-server.ts), behind a node:http pass-through proxy made here that records
 * what the server said to each prompt (the streamed `content` deltas joined, `reasoning_content`
 * apart, the finish reason). The run must work end to end, its score is the honest one (random
 * weights almost never write "Answer: C": near 0), and the answers in the results database and in
 * answers.jsonl are exactly the server's, byte for byte, with the server's finish reasons.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { extractorByName } from '../../src/accuracy/extractors.js';
import { assertExit, readJson, readJsonl, runCli, withTemp, cli } from '../cli/cli-process.js';
import { useLlamaServer } from '../fixtures/llama-server.js';

const engine = useLlamaServer({ parallel: 2 });

const ROWS = 6;
const OUTPUT_TOKENS = 8;

interface Seen {
  content: string;
  reasoning: string;
  finishReason: string | null;
}

/** What one SSE stream (or JSON body) of a chat completion carried. */
function parseAnswer(body: string, streamed: boolean): Seen {
  const seen: Seen = { content: '', reasoning: '', finishReason: null };
  type Choice = {
    delta?: { content?: string | null; reasoning_content?: string | null };
    message?: { content?: string | null; reasoning_content?: string | null };
    finish_reason?: string | null;
  };
  const take = (choice: Choice | undefined) => {
    const part = streamed ? choice?.delta : choice?.message;
    seen.content += part?.content ?? '';
    seen.reasoning += part?.reasoning_content ?? '';
    if (choice?.finish_reason) seen.finishReason = choice.finish_reason;
  };
  if (!streamed) take((JSON.parse(body) as { choices: Choice[] }).choices[0]);
  else
    for (const line of body.split('\n')) {
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      take((JSON.parse(line.slice(6)) as { choices: Choice[] }).choices[0]);
    }
  return seen;
}

/** A pass-through proxy to `upstream` recording each chat answer by its user prompt. */
async function recordingProxy(upstream: string) {
  const target = new URL(upstream);
  // A connection per request upstream: the proxy must not add reuse races of its own.
  const agent = new http.Agent({ keepAlive: false });
  const answers = new Map<string, Seen>();
  const errors: string[] = [];
  const server = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (d: Buffer) => body.push(d));
    req.on('end', () => {
      const text = Buffer.concat(body).toString('utf8');
      const headers = { ...req.headers, host: target.host };
      delete headers['accept-encoding']; // the recording reads plain bytes
      const up = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          const chunks: Buffer[] = [];
          upRes.on('data', (d: Buffer) => {
            chunks.push(d);
            res.write(d);
          });
          // llama-server may close the connection right after a streamed answer: 'close' without 'end'.
          let recorded = false;
          const record = () => {
            if (recorded) return;
            recorded = true;
            if (req.url === '/v1/chat/completions' && upRes.statusCode === 200) {
              const request = JSON.parse(text) as { stream?: boolean; messages: { role: string; content: string }[] };
              const prompt = request.messages.filter((m) => m.role === 'user').at(-1)!.content;
              answers.set(prompt, parseAnswer(Buffer.concat(chunks).toString('utf8'), request.stream === true));
            }
            res.end();
          };
          upRes.on('end', record);
          upRes.on('close', record);
        },
      );
      up.on('error', (err) => {
        errors.push(`${req.url}: ${err.message}`);
        res.destroy();
      });
      up.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answers,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

for (const streaming of ['on', 'off'] as const) {
  test(`--mode acc on llama-server, streaming ${streaming}: the stored answers are the server's, the score honest`, async (t) => {
    const server = engine.get(t);
    if (server === null) return;
    const proxy = await recordingProxy(server.url);
    try {
      await withTemp(async (tmp) => {
        const rows = Array.from({ length: ROWS }, (_, i) => ({
          question: `Question ${i}: which letter comes ${['first', 'second', 'third', 'fourth'][i % 4]}? (A) a (B) b (C) c (D) d`,
          ground_truth: 'ABCD'[i % 4],
        }));
        const file = path.join(tmp.dir, 'mc.jsonl');
        await writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
        const report = path.join(tmp.dir, 'report');
        const db = path.join(tmp.dir, 'results.duckdb');
        const r = await runCli(
          cli`
            benchmark online --endpoints ${proxy.url} --model tiny --api-type chat --streaming ${streaming}
            --concurrency 2 --max-output-tokens ${String(OUTPUT_TOKENS)} --workers 1 --dataset
            ${`acc:${file},eval_method=pass_at_1,ground_truth=ground_truth,extractor=abcd_extractor`} --mode acc
            --results-db ${db} --report-dir ${report}
          `,
          { timeoutMs: 90_000 },
        );
        assertExit(r, 0);
        assert.deepEqual(proxy.errors, []);
        assert.equal(
          proxy.answers.size,
          ROWS,
          `the server answered every row once: ${[...proxy.answers.keys()].join(' | ')}`,
        );

        // What the server said, scored here with the same extractor: the score the run must report.
        const extractor = extractorByName('abcd_extractor');
        const expected = rows.map((row) => {
          const seen = proxy.answers.get(row.question)!;
          return { seen, right: extractor.extract(seen.content) === row.ground_truth ? 1 : 0 };
        });
        const right = expected.reduce((a, e) => a + e.right, 0);
        const acc = await readJson<{
          accuracy_scores: { score: number; n_scored: number; failures: number; truncated: number }[];
        }>(path.join(report, 'accuracy', 'accuracy_results.json'));
        const [result] = acc.accuracy_scores;
        assert.equal(result.score, right / ROWS);
        assert.ok(result.score <= 0.5, `random weights scoring ${result.score} would be news`);
        assert.equal(result.n_scored, ROWS);
        assert.equal(result.failures, 0);
        assert.equal(result.truncated, expected.filter((e) => e.seen.finishReason === 'length').length);

        // answers.jsonl and the database hold the server's text exactly, with its finish reason.
        const lines = await readJsonl(path.join(report, 'accuracy', 'mc.answers.jsonl'));
        assert.deepEqual(
          lines.map((l) => [l.answer, l.finish_reason]),
          expected.map((e) => [e.seen.content, e.seen.finishReason]),
        );
        const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
        const c = await instance.connect();
        try {
          const stored = (
            await c.runAndReadAll('SELECT answer, finish_reason, score FROM accuracy_answers ORDER BY sample')
          ).getRows();
          assert.deepEqual(
            stored,
            expected.map((e) => [e.seen.content, e.seen.finishReason, e.right]),
          );
          // --mode acc: the run's row is finished, with no performance requests.
          const run = (await c.runAndReadAll('SELECT state, n_issued FROM runs')).getRows();
          assert.deepEqual(
            run.map((x) => [x[0], Number(x[1])]),
            [['complete', 0]],
          );
        } finally {
          c.closeSync();
          instance.closeSync();
        }
        // report RUN re-renders it from the database.
        const re = await runCli(['report', 'latest', '--results-db', db, '--output', path.join(tmp.dir, 're')]);
        assertExit(re, 0);
        assert.match(re.stdout, new RegExp(`mc: ${((right / ROWS) * 100).toFixed(1)} %`));
      });
    } finally {
      await proxy.close();
    }
  });
}
