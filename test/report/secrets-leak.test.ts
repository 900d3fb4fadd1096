/**
 * Secrets never leak: the CLI runs against a server that echoes every request's headers (and the
 * Basic credentials decoded) and body back in its errors — a 400 JSON error, a 500 text body and
 * an `error` event mid-stream, in turn — with --api-key, OPENAI_API_KEY, URL credentials and
 * --header. Each secret must reach the server; then every output (the whole report dir, stdout,
 * stderr) is searched for it and for every 8-character piece of it (issue 14 item 5: a secret cut
 * by the 200-character excerpt leaked its first part before the fix in dd76fe1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { ResultsStore } from '../../src/store/results-store.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describeResult, makeTempDir, runCli, type CliResult } from '../cli/cli-process.js';
import { REPORT_FILES } from '../../src/report/report-files.js';

const API_KEY = 'sk-LEAKTEST-Q7w9Z2x4V6b8N1m3';
const ENV_KEY = 'sk-ENVLEAK-R5t7Y9u1I3o5P7a9';
// Nothing like the words outputs carry (the temp dirs are llm-loadgen-cli-…).
const USER = 'zqxuser';
const PASSWORD = 'pw-SECRET-K4j6H8g0F2d4';
const HEADER_KEY = 'xk-HEADERLEAK-L1k3J5h7G9f1';
const BODY_KEY = 'bk-BODYLEAK-W2e4R6t8Y0u2';
const BODY_TOKEN = 'bt-NESTEDLEAK-S3d5F7g9H1j3';
const basic = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

interface EchoServer {
  url: string;
  requests: number;
  /** Every completion request's headers, as JSON, then its body. */
  headers: string[];
  close(): Promise<void>;
}

/**
 * Every completion request fails, in turn as a 400 JSON error, a 500 text/plain body and a 200
 * stream with an error event after one token. Each error text starts with `pad(n)` characters of
 * padding, then quotes the request: its headers, Basic credentials decoded, and its body.
 */
async function startEchoServer(pad: (n: number) => number): Promise<EchoServer> {
  let n = 0;
  const headers: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'm', object: 'model' }] }));
        return;
      }
      const i = n++;
      headers.push(JSON.stringify(req.headers) + Buffer.concat(chunks).toString('utf8'));
      const auth = req.headers.authorization ?? '';
      const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
      const echo =
        'e'.repeat(pad(i)) +
        ` Authorization: ${auth} decoded: ${decoded} x-api-key: ${String(req.headers['x-api-key'] ?? '')}` +
        ` headers: ${JSON.stringify(req.headers)} body: ${Buffer.concat(chunks).toString('utf8')}`;
      switch (i % 3) {
        case 0:
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: echo, type: 'invalid_request_error' } }));
          break;
        case 1:
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(echo);
          break;
        default:
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n');
          res.end(`data: ${JSON.stringify({ error: { message: echo } })}\n\ndata: [DONE]\n\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    headers,
    get requests() {
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function filesUnder(dir: string, prefix = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    if ((await stat(file)).isDirectory())
      for (const [k, v] of await filesUnder(file, `${prefix}${name}/`)) out.set(k, v);
    else out.set(prefix + name, await readFile(file, 'utf8'));
  }
  return out;
}

/** Every value of every row of the results database's tables, as one text. */
async function storedTexts(file: string): Promise<string> {
  const store = await ResultsStore.open(file);
  try {
    const parts: string[] = [];
    for (const table of ['runs', 'requests']) {
      const r = await store.connection.runAndReadAll(`SELECT * FROM ${table}`);
      parts.push(JSON.stringify(r.getRowsJson()));
    }
    return parts.join('\n');
  } finally {
    store.close();
  }
}

/** Each secret, and every 8-character piece of it, found in any output: "secret piece in file". */
function leaks(outputs: Map<string, string>, secrets: string[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    const pieces = new Set<string>([secret]);
    for (let i = 0; i + 8 <= secret.length; i++) pieces.add(secret.slice(i, i + 8));
    for (const [name, text] of outputs) {
      for (const piece of pieces) {
        const at = text.indexOf(piece);
        if (at >= 0) {
          found.push(`"${piece}" (of ${secret}) in ${name}: …${text.slice(Math.max(0, at - 40), at + 40)}…`);
          break;
        }
      }
    }
  }
  return found;
}

const SECRETS = [API_KEY, ENV_KEY, PASSWORD, basic, `${USER}:${PASSWORD}`, HEADER_KEY, BODY_KEY, BODY_TOKEN];

interface Case {
  name: string;
  args: (url: string) => string[];
  env?: Record<string, string>;
  /** Run probe too (it has no --header). */
  probe?: boolean;
  /** What the server must have received (the secret went out, and then nowhere else). */
  sent: string;
}

const CASES: Case[] = [
  { name: '--api-key', args: () => ['--api-key', API_KEY], sent: `Bearer ${API_KEY}` },
  { name: 'OPENAI_API_KEY', args: () => [], env: { OPENAI_API_KEY: ENV_KEY }, sent: `Bearer ${ENV_KEY}` },
  { name: 'URL credentials', args: () => [], env: {}, sent: `Basic ${basic}` },
];

/** Runs benchmark (and probe) for every case against an echo server; returns the leaks found. */
async function runAndSearch(pad: (n: number) => number, samples: number, cases: Case[]): Promise<string[]> {
  const tmp = await makeTempDir();
  const found: string[] = [];
  try {
    await Promise.all(
      cases.map(async (c, i) => {
        const server = await startEchoServer(pad);
        try {
          const url =
            c.name === 'URL credentials' ? server.url.replace('http://', `http://${USER}:${PASSWORD}@`) : server.url;
          const dir = path.join(tmp.dir, `run${i}`);
          const [bench, probe]: [CliResult, CliResult | null] = await Promise.all([
            runCli(
              [
                'benchmark',
                'online',
                '--endpoints',
                url,
                '--model',
                'm',
                '--concurrency',
                '4',
                '--num-samples',
                String(samples),
                '--workers',
                '1',
                '--report-dir',
                dir,
                '--results-db',
                `${dir}.duckdb`,
                ...c.args(url),
              ],
              { env: c.env, timeoutMs: 60_000 },
            ),
            c.probe === false
              ? null
              : runCli(['probe', '--endpoints', url, '--model', 'm', '--requests', '3', ...c.args(url)], {
                  env: c.env,
                  timeoutMs: 60_000,
                }),
          ]);
          assert.equal(bench.code, 4, `${c.name}: every request fails: ${describeResult(bench)}`);
          assert.ok(
            server.headers.length > 0 && server.headers.every((h) => h.includes(c.sent)),
            `${c.name}: every request carried ${c.sent}`,
          );
          if (probe !== null) assert.equal(probe.code, 4, `${c.name}: probe: ${describeResult(probe)}`);
          const outputs = await filesUnder(dir);
          assert.ok(outputs.has('records.jsonl') && outputs.has(REPORT_FILES.summary), `${c.name}: report written`);
          // The errors themselves are kept (the secret is what goes).
          assert.match(outputs.get('records.jsonl')!, /Authorization/, `${c.name}: error messages are kept`);
          // The results database: its bytes, and every text it holds read back (DuckDB compresses strings).
          const db = await readFile(`${dir}.duckdb`);
          outputs.set('results db (bytes)', db.toString('latin1'));
          const stored = await storedTexts(`${dir}.duckdb`);
          assert.match(stored, /Authorization/, `${c.name}: the database has the error messages`);
          outputs.set('results db (text)', stored);
          outputs.set('benchmark stdout', bench.stdout);
          outputs.set('benchmark stderr', bench.stderr);
          if (probe !== null) {
            outputs.set('probe stdout', probe.stdout);
            outputs.set('probe stderr', probe.stderr);
          }
          for (const l of leaks(outputs, SECRETS)) found.push(`${c.name}: ${l}`);
        } finally {
          await server.close();
        }
      }),
    );
  } finally {
    await tmp.cleanup();
  }
  return found;
}

test('secrets echoed back by a server, far from any cut, appear in no output', { timeout: 180_000 }, async () => {
  const found = await runAndSearch((n) => n % 5, 12, CASES);
  assert.deepEqual(found, [], found.join('\n'));
});

test('a secret straddling the 200-character error excerpt leaks no piece of it', { timeout: 180_000 }, async () => {
  // The secret starts 150–249 characters into the error text (after the padding): in every mode some straddle the cut.
  const found = await runAndSearch((n) => 110 + ((n * 7) % 100), 40, CASES);
  assert.deepEqual(found, [], found.join('\n'));
});

test("--header 'X-Api-Key: …' secrets appear in no output", { timeout: 180_000 }, async () => {
  const found = await runAndSearch((n) => 110 + ((n * 7) % 100), 40, [
    {
      name: '--header',
      args: () => ['--header', `X-Api-Key: ${HEADER_KEY}`],
      probe: false,
      sent: `"x-api-key":"${HEADER_KEY}"`,
    },
  ]);
  assert.deepEqual(found, [], found.join('\n'));
});

test(
  '--extra-body values under secret-looking keys appear in no output (config.yaml writes ${VARIABLE})',
  { timeout: 180_000 },
  async () => {
    const body = JSON.stringify({ api_key: BODY_KEY, metadata: { user_token: BODY_TOKEN, team: 'bench' } });
    const found = await runAndSearch((n) => 110 + ((n * 7) % 100), 40, [
      { name: '--extra-body', args: () => ['--extra-body', body], probe: false, sent: `"user_token":"${BODY_TOKEN}"` },
    ]);
    assert.deepEqual(found, [], found.join('\n'));
  },
);
