/**
 * Issue 11 item 4 against a raw node:http "reasoning model": every answer's reasoning_content
 * names the right letter, its content names the right letter for half the rows only, and two rows
 * are cut at max tokens (finish_reason "length"). The score must be the content's (3 of 6, not
 * 6 of 6: the extractor never sees the reasoning), the stored answers hold the content alone, and
 * the truncated answers are counted in accuracy_results.json, report.txt and the database.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { assertExit, makeTempDir, readJson, readJsonl, runCli, type TempDir, cli } from '../cli/cli-process.js';

const ROWS = Array.from({ length: 6 }, (_, i) => ({
  question: `Reasoning question ${i}?`,
  ground_truth: 'ABCD'[i % 4],
}));
const WRONG = (letter: string) => 'ABCD'[('ABCD'.indexOf(letter) + 1) % 4];

/** Row i: reasoning right always; content right for i < 3; rows 4 and 5 cut at max tokens. */
function answerOf(i: number): { reasoning: string; content: string; finish: string } {
  const truth = ROWS[i].ground_truth;
  const cut = i >= 4;
  return {
    reasoning: `Thinking it over, the options say so. Answer: ${truth}`,
    content: cut ? 'Let me weigh the first two of the options against the' : `Answer: ${i < 3 ? truth : WRONG(truth)}`,
    finish: cut ? 'length' : 'stop',
  };
}

function startReasoningServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (d: Buffer) => body.push(d));
    req.on('end', () => {
      if (req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const request = JSON.parse(Buffer.concat(body).toString('utf8')) as {
        stream?: boolean;
        messages: { content: string }[];
      };
      const i = ROWS.findIndex((r) => r.question === request.messages.at(-1)!.content);
      const a = answerOf(i);
      const base = { id: `c${i}`, object: 'chat.completion', created: 0, model: 'r' };
      const usage = { prompt_tokens: 5, completion_tokens: 12, total_tokens: 17 };
      if (request.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            ...base,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: a.content, reasoning_content: a.reasoning },
                finish_reason: a.finish,
              },
            ],
            usage,
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = (delta: object, finish: string | null = null) =>
        `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      let out = event({ role: 'assistant', content: null, reasoning_content: '' });
      for (const word of a.reasoning.match(/\s*\S+/g)!) out += event({ content: null, reasoning_content: word });
      for (const word of a.content.match(/\s*\S+/g)!) out += event({ content: word });
      out += event({}, a.finish);
      out += `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`;
      res.end(out + 'data: [DONE]\n\n');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('reasoning_content is kept apart from the answer; truncated answers are counted', () => {
  let tmp: TempDir;
  let server: http.Server;
  let url: string;
  let file: string;
  before(async () => {
    tmp = await makeTempDir('llm-loadgen-reasoning-');
    file = path.join(tmp.dir, 'mc.jsonl');
    await writeFile(file, ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n');
    server = await startReasoningServer();
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await tmp.cleanup();
  });

  for (const streaming of ['on', 'off'] as const) {
    test(`streaming ${streaming}: the content's score, the content stored, 2 truncated`, async () => {
      const report = path.join(tmp.dir, `report-${streaming}`);
      const db = path.join(tmp.dir, `results-${streaming}.duckdb`);
      const r = await runCli(
        cli`
          benchmark online --endpoints ${url} --model r --api-type chat --streaming ${streaming} --concurrency 2
          --dataset ${`acc:${file},eval_method=pass_at_1,ground_truth=ground_truth,extractor=abcd_extractor`}
          --mode acc --results-db ${db} --report-dir ${report}
        `,
        { timeoutMs: 60_000 },
      );
      assertExit(r, 0);
      const acc = await readJson<{ accuracy_scores: { score: number; truncated: number; extractor_misses: number }[] }>(
        path.join(report, 'accuracy', 'accuracy_results.json'),
      );
      assert.equal(acc.accuracy_scores[0].score, 0.5, 'scored on the content (reading the reasoning would give 1)');
      assert.equal(acc.accuracy_scores[0].truncated, 2);
      // The two cut answers name no letter the extractor accepts.
      assert.equal(acc.accuracy_scores[0].extractor_misses, 2);
      const answers = await readJsonl(path.join(report, 'accuracy', 'mc.answers.jsonl'));
      assert.deepEqual(
        answers.map((a) => [a.answer, a.finish_reason]),
        ROWS.map((_, i) => [answerOf(i).content, answerOf(i).finish]),
      );
      assert.match(await readFile(path.join(report, 'report.txt'), 'utf8'), /, 2 unreadable, 2 cut at max tokens/);
      // report.html: the accuracy page (no performance phase, so no latency tables or charts).
      const page = await readFile(path.join(report, 'report.html'), 'utf8');
      assert.match(page, /accuracy only \(--mode acc\)/);
      assert.match(page, /<td class="text">mc<\/td><td class="score">50\.0 %<\/td>/);
      assert.doesNotMatch(page, /<h2>Latency<\/h2>/);
      const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
      const c = await instance.connect();
      try {
        const rows = (
          await c.runAndReadAll(
            `SELECT count(*) FILTER (WHERE finish_reason = 'length'), count(*) FILTER (WHERE answer LIKE '%Thinking%'),
               (SELECT truncated FROM accuracy_results) FROM accuracy_answers`,
          )
        ).getRows();
        assert.deepEqual(rows[0].map(Number), [2, 0, 2]);
      } finally {
        c.closeSync();
        instance.closeSync();
      }
      // --mode acc: `report` re-renders the accuracy section alone, and no performance files.
      const out = path.join(tmp.dir, `re-${streaming}`);
      const re = await runCli(['report', 'latest', '--results-db', db, '--output', out]);
      assertExit(re, 0);
      assert.match(re.stdout, /^\nAccuracy \(every issued answer counts[\s\S]*mc: 50\.0 %/);
      assert.doesNotMatch(re.stdout, /TTFT/);
      await assert.rejects(readFile(path.join(out, 'result_summary.json')), { code: 'ENOENT' });
      assert.match(
        await readFile(path.join(out, 'report.html'), 'utf8'),
        /<td class="text">mc<\/td><td class="score">50\.0 %<\/td>/,
      );
      assert.equal(
        await readFile(path.join(out, 'accuracy', 'mc.answers.jsonl'), 'utf8'),
        await readFile(path.join(report, 'accuracy', 'mc.answers.jsonl'), 'utf8'),
      );
    });
  }
});
