/**
 * A hostile server that echoes the request's credentials back in every place an answer can carry
 * text — a 401 body, a long 500 body that puts the key across the excerpt cut, an SSE error event,
 * a malformed SSE line, an HTML page — while the CLI runs with each way of giving a secret
 * (--api-key, OPENAI_API_KEY, URL credentials, --header). Then one check greps every output: each
 * report file, stdout and stderr, for the secret and for every 8-character piece of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describeResult, makeTempDir, runCli, type CliResult } from '../cli/cli-process.js';
import { rawServer, write, type RawRequest } from './raw-server.js';
import { SSE_HEAD, LAST_CHUNK, chunk, content, role } from './wire.js';

/** The echoed credentials, as the server received them (Authorization or the secret header). */
function credentialsOf(r: RawRequest): string {
  const m = /\r\n(?:authorization|x-secret): *([^\r\n]*)/i.exec(r.head);
  return m === null ? '(none)' : m[1];
}

/**
 * The echoing handler. `cut`: every answer is the long 500 whose excerpt cut falls inside the
 * credentials; otherwise the five other placements in turn.
 */
function echoing(cut: boolean): (r: RawRequest) => void {
  return (r) => echo(r, cut ? 1 : [0, 2, 3, 4][r.index % 4]);
}

function echo(r: RawRequest, placement: number): void {
  const cred = credentialsOf(r);
  const json = (status: string, body: string) =>
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  switch (placement) {
    case 0:
      write(r.socket, json('401 Unauthorized', JSON.stringify({ error: { message: `Invalid credentials: ${cred}` } })));
      break;
    case 1: {
      // The credentials' value starts 14 (then 7) characters before the 200-character excerpt cut:
      // a cut made before redaction leaves "sk-…" pieces no pattern recognises (item 5).
      const value = cred.replace(/^(Bearer|Basic) /i, '');
      const at = (r.index % 2 === 0 ? 186 : 193) - (cred.length - value.length);
      write(r.socket, json('500 Internal Server Error', `${'e'.repeat(at)}${cred} and more text after it`));
      break;
    }
    case 2:
      write(
        r.socket,
        SSE_HEAD + chunk(role() + content('a') + `data: {"error":{"message":"rejected ${cred}"}}\n\n`) + LAST_CHUNK,
      );
      break;
    case 3:
      write(r.socket, SSE_HEAD + chunk(role() + `data: {"broken ${cred}\n\n`) + LAST_CHUNK);
      break;
    case 4: {
      const html = `<html><body>Hello ${cred}</body></html>`;
      write(
        r.socket,
        `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Echo: ${cred}\r\nContent-Length: ${html.length}\r\n\r\n${html}`,
      );
    }
  }
}

async function allOutputs(dir: string, result: CliResult): Promise<Map<string, string>> {
  const out = new Map<string, string>([
    ['stdout', result.stdout],
    ['stderr', result.stderr],
  ]);
  const walk = async (d: string): Promise<void> => {
    for (const name of await readdir(d)) {
      const file = path.join(d, name);
      if ((await stat(file)).isDirectory()) await walk(file);
      else out.set(path.relative(dir, file), await readFile(file, 'latin1'));
    }
  };
  await walk(dir);
  return out;
}

/** Every place a secret, or any 8-character piece of it, appears. */
function leaks(outputs: Map<string, string>, secrets: string[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    for (let i = 0; i + 8 <= secret.length; i++) {
      const piece = secret.slice(i, i + 8);
      for (const [name, text] of outputs) if (text.includes(piece)) found.push(`${name}: "${piece}" of ${secret}`);
    }
  }
  return [...new Set(found)];
}

const KEY = 'sk-Zq8VwX3kLm9PtR2nYb7Hc4Jd';
const ENV_KEY = 'sk-Tf5GhQ1wEr6YuI0oPa8Sd2Fg';
const PASSWORD = 'Pw4KjH7gFd2SaQ9';
const BASIC = Buffer.from(`alice:${PASSWORD}`).toString('base64');
const HEADER_SECRET = 'hdr-Mn3BvC8xZl5KqW1e';

interface SecretCase {
  name: string;
  args: (url: string) => string[];
  env?: Record<string, string>;
  secrets: string[];
  /** The server's answers put the secret across the excerpt cut (issue 14 item 5). */
  cut?: boolean;
}

const secretCases: SecretCase[] = [
  { name: '--api-key', args: (url) => ['--endpoints', url, '--api-key', KEY], secrets: [KEY] },
  { name: 'OPENAI_API_KEY', args: (url) => ['--endpoints', url], env: { OPENAI_API_KEY: ENV_KEY }, secrets: [ENV_KEY] },
  {
    name: 'URL credentials',
    args: (url) => ['--endpoints', url.replace('http://', `http://alice:${PASSWORD}@`)],
    secrets: [PASSWORD, BASIC],
  },
  {
    name: '--header secrets',
    args: (url) => ['--endpoints', url, '--header', `X-Secret: ${HEADER_SECRET}`],
    secrets: [HEADER_SECRET],
  },
  {
    name: '--api-key',
    args: (url) => ['--endpoints', url, '--api-key', KEY],
    secrets: [KEY],
    cut: true,
  },
  {
    name: 'URL credentials',
    args: (url) => ['--endpoints', url.replace('http://', `http://alice:${PASSWORD}@`)],
    secrets: [PASSWORD, BASIC],
    cut: true,
  },
];

for (const c of secretCases) {
  test(
    `a server that echoes the credentials ${c.cut === true ? 'across the excerpt cut' : 'everywhere'}: no piece of the ${c.name} secret in any output`,
    { timeout: 60_000 },
    async () => {
      const server = await rawServer(echoing(c.cut === true));
      const tmp = await makeTempDir('llm-loadgen-secrets-');
      try {
        const result = await runCli(
          [
            'benchmark',
            'online',
            ...c.args(server.url),
            '--model',
            'm',
            '--workers',
            '1',
            '--concurrency',
            '1',
            '--num-samples',
            c.cut === true ? '4' : '8',
            '--report-dir',
            tmp.dir,
          ],
          { env: c.env, timeoutMs: 30_000 },
        );
        assert.notEqual(result.code, null, describeResult(result));
        assert.equal(server.requests(), c.cut === true ? 4 : 8, describeResult(result));
        // the server did get the secret: the echo is real
        for (const h of server.heads)
          assert.ok(
            c.secrets.some((s) => h.includes(s)),
            'the request carried the secret',
          );
        const outputs = await allOutputs(tmp.dir, result);
        assert.ok(outputs.has('records.jsonl'), [...outputs.keys()].join(', '));
        // the echoes did reach the outputs (redacted): the check has something to find
        const records = outputs.get('records.jsonl')!;
        for (const seen of c.cut === true ? ['eeeeeeee'] : ['Invalid credentials', 'rejected', 'Hello'])
          assert.ok(records.includes(seen), seen);
        assert.deepEqual(leaks(outputs, c.secrets), []);
      } finally {
        await server.close();
        await tmp.cleanup();
      }
    },
  );
}

for (const cut of [false, true]) {
  test(
    `probe against the echoing server${cut ? ', across the excerpt cut' : ''}: no piece of the key in its output`,
    { timeout: 60_000 },
    async () => {
      const server = await rawServer(echoing(cut));
      try {
        const result = await runCli(
          ['probe', '--endpoints', server.url, '--model', 'm', '--api-key', KEY, '--requests', '4'],
          { timeoutMs: 30_000 },
        );
        assert.notEqual(result.code, null, describeResult(result));
        assert.ok(server.requests() >= 1, describeResult(result));
        const outputs = new Map([
          ['stdout', result.stdout],
          ['stderr', result.stderr],
        ]);
        assert.deepEqual(leaks(outputs, [KEY]), []);
      } finally {
        await server.close();
      }
    },
  );
}
