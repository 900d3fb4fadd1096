/**
 * What a real engine does that the mock does not, each handled right (docs/real-engine.md):
 * llama-server closes the connection after every streamed response although its head says
 * keep-alive; it sends an error event inside a 200 stream when its KV cache runs out mid-generation;
 * its prompt cache serves a repeated prompt (usage says how much); and it serves /tokenize and
 * /metrics, whose counts agree with its usage.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { assertExit, readJson, readJsonl, runCli, withTemp, cli } from '../cli/cli-process.js';
import { useLlamaServer } from '../fixtures/llama-server.js';

const engine = useLlamaServer({ parallel: 4 });
/** Two slots sharing one 2,048-token KV cache: two long generations together overflow it. */
const unified = useLlamaServer({ parallel: 2, context: 2048, args: ['--kv-unified'] });

/** One raw HTTP/1.1 exchange; resolves with everything read and how the server ended it. */
function rawExchange(port: number, body: object): Promise<{ text: string; ended: 'fin' | 'open' }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const json = JSON.stringify(body);
    let text = '';
    let timer: NodeJS.Timeout | null = null;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
      // After the stream's last chunk, give the server 2 s to close (it does at once).
      if (text.endsWith('0\r\n\r\n') && timer === null) timer = setTimeout(() => done('open'), 2000);
    });
    const done = (ended: 'fin' | 'open') => {
      if (timer !== null) clearTimeout(timer);
      socket.destroy();
      resolve({ text, ended });
    };
    socket.on('end', () => done('fin'));
    socket.on('error', reject);
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Connection: keep-alive\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    );
  });
}

test('it closes the connection after a streamed answer although the head says keep-alive; no request is lost or resent', async (t) => {
  const server = engine.get(t);
  if (server === null) return;
  const body = { model: 'tiny', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 };
  const streamed = await rawExchange(server.port, { ...body, stream: true });
  assert.match(streamed.text, /^HTTP\/1\.1 200/);
  // Seen on this build: `Keep-Alive: timeout=5, max=100` and no `Connection: close`.
  assert.match(streamed.text, /\r\nKeep-Alive: timeout=\d+/i, 'the head promises keep-alive');
  assert.doesNotMatch(streamed.text.split('\r\n\r\n')[0], /\r\nConnection: close/i);
  assert.match(streamed.text, /data: \[DONE\]/);
  assert.equal(streamed.ended, 'fin', 'and yet the server closes right after the stream');
  // The benchmark: every streamed request on a fresh connection, none lost or sent twice.
  await withTemp(async (tmp) => {
    const report = path.join(tmp.dir, 'report');
    const r = await runCli(
      cli`
        benchmark online --endpoints ${server.url} --model tiny --concurrency 2 --num-samples 12
        --max-output-tokens 8 --workers 1 --report-dir ${report}
      `,
      { timeoutMs: 60_000 },
    );
    assertExit(r, 0);
    const s = await readJson<{
      n_samples_issued: number;
      n_samples_completed: number;
      connections: { reused: number; new: number };
    }>(path.join(report, REPORT_FILES.summary));
    assert.equal(s.n_samples_issued, 12);
    const records = await readJsonl(path.join(report, REPORT_FILES.records));
    assert.equal(records.length, 12, 'every request accounted');
    assert.ok(
      records.every((x) => x.retries === 0),
      'none resent',
    );
    // The engine closes right after each streamed answer (its stream provider returns false after
    // the last chunk, and cpp-httplib ends the connection); a request written onto the connection
    // before that FIN lands is read and dropped. The pool reuses no connection of a chunked answer
    // until one has stayed open 20 ms (PROBATION_NS), and three closes stop reuse: none is lost.
    const failed = records.filter((x) => x.error !== null);
    assert.deepEqual(
      failed.map((x) => x.error_message),
      [],
    );
    // Requests on connections warmed before the clock count as neither reused nor new.
    assert.ok(s.connections.reused + s.connections.new <= 12);
    console.error(
      `llama-server keep-alive: ${s.connections.reused} requests reused a connection, ${s.connections.new} opened one`,
    );
  });
});

test('an error event inside a 200 stream (KV cache exhausted mid-generation) fails those requests as stream_error; the run goes on', async (t) => {
  const server = unified.get(t);
  if (server === null) return;
  await withTemp(async (tmp) => {
    // Two ~600-token prompts generating up to 1,500 tokens each fill the shared 2,048 cells at ~420
    // generated tokens each; a short third request fits whenever it runs.
    const long = (n: number) => `Request ${n}: ` + 'tell me about the weather in the mountains today. '.repeat(60);
    const dataset = path.join(tmp.dir, 'prompts.jsonl');
    await writeFile(
      dataset,
      [
        { prompt: long(1), max_tokens: 1500 },
        { prompt: long(2), max_tokens: 1500 },
        { prompt: 'short', max_tokens: 4 },
      ]
        .map((x) => JSON.stringify(x))
        .join('\n') + '\n',
    );
    const report = path.join(tmp.dir, 'report');
    const r = await runCli(
      [
        'benchmark',
        'online',
        '--endpoints',
        server.url,
        '--model',
        'tiny',
        '--api-type',
        'completions',
        '--streaming',
        'on',
        // Each request on a connection of its own: the engine closes ~8 ms after a streamed answer,
        // and a request written onto the connection in that window is lost (see the test above).
        '--concurrency',
        '3',
        '--num-samples',
        '3',
        '--dataset',
        dataset,
        '--workers',
        '1',
        '--report-dir',
        report,
      ],
      { timeoutMs: 100_000 },
    );
    assertExit(r, 0);
    const records = await readJsonl(path.join(report, REPORT_FILES.records));
    assert.equal(records.length, 3);
    const failed = records.filter((x) => x.error !== null);
    assert.equal(failed.length, 2, JSON.stringify(records.map((x) => [x.error, x.error_message, x.output_tokens])));
    for (const x of failed) {
      assert.equal(x.error, 'stream_error');
      assert.equal(x.status, 200, 'the error came inside a 200 stream');
      assert.ok((x.output_tokens as number) > 0, 'after tokens had streamed');
      assert.match(String(x.error_message), /context size has been exceeded/i);
    }
    const ok = records.find((x) => x.error === null)!;
    assert.equal(ok.output_tokens, 4);
    console.error(`llama-server mid-stream error: ${String(failed[0].error_message)}`);
  });
});

test('its prompt cache serves a repeated prompt: usage reports the cached tokens, and the summary says so', async (t) => {
  const server = engine.get(t);
  if (server === null) return;
  await withTemp(async (tmp) => {
    const dataset = path.join(tmp.dir, 'one.jsonl');
    await writeFile(
      dataset,
      JSON.stringify({ prompt: 'The river floods every spring and the valley turns green. '.repeat(45) }) + '\n',
    );
    const report = path.join(tmp.dir, 'report');
    const r = await runCli(
      [
        'benchmark',
        'online',
        '--endpoints',
        server.url,
        '--model',
        'tiny',
        // Not streamed: the engine keeps those connections open (a streamed answer's is closed
        // ~8 ms later, and the next request could race that close).
        '--streaming',
        'off',
        '--concurrency',
        '1',
        '--num-samples',
        '4',
        '--max-output-tokens',
        '2',
        '--dataset',
        dataset,
        '--workers',
        '1',
        '--report-dir',
        report,
      ],
      { timeoutMs: 60_000 },
    );
    assertExit(r, 0);
    const records = (await readJsonl(path.join(report, REPORT_FILES.records))).sort(
      (a, b) => (a.id as number) - (b.id as number),
    );
    assert.equal(records.length, 4);
    const input = records[0].input_tokens as number;
    assert.ok(input > 500, `a long prompt (${input} tokens)`);
    // The first time at most a common opening (BOS) matches what a slot holds.
    assert.ok((records[0].cached_tokens as number) < input / 10, `first: cached ${String(records[0].cached_tokens)}`);
    for (const x of records.slice(1)) {
      // Every token but the last is served from the cache (the last is re-evaluated for its logits).
      assert.ok((x.cached_tokens as number) >= input - 2, `cached ${String(x.cached_tokens)} of ${input}`);
    }
    const s = await readJson<{ cached_prompt_fraction: number | null; warnings: string[] }>(
      path.join(report, REPORT_FILES.summary),
    );
    assert.ok(s.cached_prompt_fraction !== null && s.cached_prompt_fraction > 0.7);
    const ttft = records.map((x) => ((x.ttft_ns as number) / 1e6).toFixed(1));
    console.error(
      `llama-server prompt cache: TTFT ${ttft.join(', ')} ms (first uncached), cached fraction ${s.cached_prompt_fraction}`,
    );
  });
});

test('/tokenize counts what usage counts, and /metrics is Prometheus text', async (t) => {
  const server = engine.get(t);
  if (server === null) return;
  const prompt = 'Counting tokens the way the server does: llama.cpp, vLLM and SGLang serve /tokenize.';
  const tok = await fetch(`${server.url}/tokenize`, {
    method: 'POST',
    body: JSON.stringify({ content: prompt, add_special: true }),
  });
  assert.equal(tok.status, 200);
  const { tokens } = (await tok.json()) as { tokens: number[] };
  assert.ok(tokens.length > 10 && tokens[0] === 1, 'BOS (id 1) first, with add_special');
  const done = await fetch(`${server.url}/v1/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'tiny', prompt, max_tokens: 1 }),
  });
  const { usage } = (await done.json()) as { usage: { prompt_tokens: number } };
  assert.equal(usage.prompt_tokens, tokens.length, 'usage.prompt_tokens = /tokenize with specials');
  const metrics = await fetch(`${server.url}/metrics`);
  assert.equal(metrics.status, 200);
  const text = await metrics.text();
  assert.match(text, /^# HELP llamacpp:/m);
  assert.match(text, /^llamacpp:prompt_tokens_total \d+/m);
});
