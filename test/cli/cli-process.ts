/**
 * Test helper: run the real CLI (`src/cli/main.ts` under tsx) as a child process, with a hard
 * time limit, and small utilities the CLI tests share (temp dirs, closed ports, OpenAI-like
 * http servers).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startMockServer,
  type MockServerOptions,
  type RunningMockServer,
} from '../../src/servers/mock-openai-server.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_MAIN = path.join(PROJECT_ROOT, 'src', 'cli', 'main.ts');
/** tsx by path: the CLI runs in a temp cwd, where `--import tsx` would not resolve. */
export const TSX_LOADER = path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Extra environment (merged over a copy of process.env without OPENAI_API_KEY). */
  env?: Record<string, string | undefined>;
  /** Kill the process after this long (the test then fails on a null exit code). Default 30 s. */
  timeoutMs?: number;
  /**
   * The CLI's working directory. Default: a fresh temp dir per call, removed when it exits, so a
   * test's default `results/llm-loadgen.duckdb` and `reports/` are its own — not the checkout's,
   * and not shared with tests running beside it (they fell back to per-run databases as "busy").
   */
  cwd?: string;
}

function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.OPENAI_API_KEY;
  // A test runner's NODE_OPTIONS / test context must not leak into the CLI's own behaviour.
  delete env.NODE_TEST_CONTEXT;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Start the CLI; the caller owns the process (use `finished`). */
export function spawnCli(
  args: string[],
  options: CliOptions = {},
): { child: ChildProcess; finished: Promise<CliResult> } {
  const ownCwd = options.cwd === undefined ? mkdtempSync(path.join(tmpdir(), 'llm-loadgen-cwd-')) : null;
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI_MAIN, ...args], {
    cwd: options.cwd ?? ownCwd!,
    env: cliEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const finished = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      if (ownCwd !== null) rmSync(ownCwd, { recursive: true, force: true });
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (ownCwd !== null) rmSync(ownCwd, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, finished };
}

/**
 * A command line written as one text: cli`benchmark online --endpoints ${url} --num-samples 10`.
 * The literal text splits at whitespace; each `${value}` is one argument, whole (a path or JSON
 * with spaces stays one), or joins the word it touches (`--x=${v}`).
 */
export function cli(strings: TemplateStringsArray, ...values: (string | number)[]): string[] {
  const out: string[] = [];
  let open = false; // the last argument may still grow (no whitespace since it began)
  strings.forEach((text, i) => {
    for (const [j, word] of text.split(/\s+/).entries()) {
      if (j > 0) open = false;
      if (word === '') continue;
      if (open) out[out.length - 1] += word;
      else out.push(word);
      open = true;
    }
    if (i < values.length) {
      if (open) out[out.length - 1] += String(values[i]);
      else out.push(String(values[i]));
      open = true;
    }
  });
  return out;
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, options).finished;
}

/** A readable description of a CLI result for assertion messages. */
export function describeResult(r: CliResult): string {
  return `exit ${r.code} (signal ${r.signal})\n--- stdout ---\n${r.stdout.slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-3000)}`;
}

export interface TempDir {
  dir: string;
  cleanup(): Promise<void>;
}

export async function makeTempDir(prefix = 'llm-loadgen-cli-'): Promise<TempDir> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function readJson<T = unknown>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

export async function readJsonl(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A port that was just bound and closed on 127.0.0.1: nothing listens there. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RecordingServer {
  url: string;
  /** Headers of every request, in arrival order. */
  headers: IncomingHttpHeaders[];
  /** Body of every request, in arrival order ('' for GETs). */
  bodies: string[];
  close(): Promise<void>;
}

/**
 * A minimal OpenAI-like endpoint written with plain node:http: answers chat completions (streamed
 * with usage, or as one JSON body) and GET /v1/models, records every request's headers, or answers
 * every request with `fixedStatus` and an OpenAI error body when given (quoting the request's
 * Authorization header with `echoAuthorization`).
 */
export async function startRecordingServer(
  options: { fixedStatus?: number; echoAuthorization?: boolean } = {},
): Promise<RecordingServer> {
  const headers: IncomingHttpHeaders[] = [];
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    headers.push(req.headers);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      if (options.fixedStatus !== undefined) {
        res.writeHead(options.fixedStatus, { 'content-type': 'application/json' });
        // Some gateways echo what they got; with echoAuthorization this one does.
        const message =
          options.echoAuthorization === true
            ? `Invalid credentials: ${req.headers.authorization ?? '(none)'}`
            : 'Incorrect API key provided.';
        res.end(
          JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }),
        );
        return;
      }
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'm', object: 'model', created: 0, owned_by: 'test' }] }));
        return;
      }
      let body: { stream?: boolean };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { stream?: boolean };
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'bad json', type: 'invalid_request_error', param: null } }));
        return;
      }
      const base = { id: 'chatcmpl-rec', created: 0, model: 'm' };
      const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        const event = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
        event({
          ...base,
          object: 'chat.completion.chunk',
          choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
        });
        event({
          ...base,
          object: 'chat.completion.chunk',
          choices: [{ index: 0, delta: { content: 'hi ' }, finish_reason: null }],
        });
        event({
          ...base,
          object: 'chat.completion.chunk',
          choices: [{ index: 0, delta: { content: 'there' }, finish_reason: null }],
        });
        event({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
        event({ ...base, object: 'chat.completion.chunk', choices: [], usage });
        res.end('data: [DONE]\n\n');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            ...base,
            object: 'chat.completion',
            choices: [{ index: 0, message: { role: 'assistant', content: 'hi there' }, finish_reason: 'stop' }],
            usage,
          }),
        );
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    headers,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Resolves when `check` returns true (polled), or rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Run `body` against a mock endpoint on a loopback port, closed afterwards. */
export async function withMock<T>(
  options: MockServerOptions,
  body: (server: RunningMockServer) => Promise<T>,
): Promise<T> {
  const server = await startMockServer({ host: '127.0.0.1', port: 0, ...options });
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

/** Run `body` with a temporary directory, removed afterwards. */
export async function withTemp<T>(body: (tmp: TempDir) => Promise<T>): Promise<T> {
  const tmp = await makeTempDir();
  try {
    return await body(tmp);
  } finally {
    await tmp.cleanup();
  }
}

export function assertExit(r: CliResult, code: number): void {
  assert.equal(r.code, code, describeResult(r));
}
