/**
 * A built-in OpenAI-compatible endpoint with configurable timing and faults, for trying the load
 * generator without a GPU and for testing how it handles timing and failures.
 *
 * Endpoints: POST /v1/chat/completions, POST /v1/completions (streaming or not), GET /v1/models,
 * POST /tokenize and /apply-template (vLLM's and llama.cpp's shapes: mock-tokenize.ts).
 * Token rules (see mock-tokens.ts): prompt tokens are whitespace-separated words; output token i
 * is `tok<i> `. N = max_tokens ?? max_completion_tokens ?? outputTokens (at least 1).
 * Timing, from the moment the request body is in: token k is due at ttftMs + k * itlMs; a
 * non-streamed answer at ttftMs + (N - 1) * itlMs, when the whole generation would have ended.
 * With maxConcurrency, a request past that many waits for a slot first (batch-slots.ts).
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseCompletionRequest, MAX_OUTPUT_TOKENS, type CompletionRequest } from './completion-request.js';
import { isGone, readBody, sendBody, sendJson } from './http-io.js';
import { BatchSlots } from './batch-slots.js';
import { answerTokens, type AnswerSource } from './mock-answers.js';
import { startGeneration, type GenerationFault } from './mock-generation.js';
import { TOKENIZE_PATHS, handleTokenize } from './mock-tokenize.js';
import { NOT_OPENAI_HTML, errorBody, modelList, type CompletionApi, type OpenAiErrorType } from './openai-wire.js';

export { MAX_OUTPUT_TOKENS };

export type MockFault = 'none' | 'reset' | 'status-500' | 'malformed-sse' | 'not-openai';
export const MOCK_FAULTS: readonly MockFault[] = ['none', 'reset', 'status-500', 'malformed-sse', 'not-openai'];

export interface MockServerOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (an ephemeral port; read it from RunningMockServer.port). */
  port?: number;
  /** Delay before the first token, ms. Default 0. */
  ttftMs?: number;
  /** Delay between tokens, ms. Default 0. */
  itlMs?: number;
  /** Tokens generated when the request has no max_tokens / max_completion_tokens. Default 16. */
  outputTokens?: number;
  /**
   * Default 'none'. reset: the connection is cut (streams after ~half the tokens); status-500: an
   * OpenAI error with status 500; malformed-sse: a broken event after the first token (or a broken
   * JSON body); not-openai: `200 text/html` (every request but completion POSTs gets it always).
   */
  fault?: MockFault;
  /**
   * The fault hits completion requests k (counted from 1, in arrival order, valid or not) with
   * k % faultEvery === 0. Default 1 (all).
   */
  faultEvery?: number;
  /** Listen backlog. Default 4096. */
  backlog?: number;
  /**
   * Batch slots: at most this many generations at once; later requests wait in a FIFO queue
   * before their TTFT starts (batch-slots.ts). Default 0 (unlimited).
   */
  maxConcurrency?: number;
  /** Answer mode (accuracy tests): prompts found in the key get its answer instead of tokN words. */
  answers?: AnswerSource;
}

export interface MockServerStats {
  /** Every HTTP request received, any path. */
  requests: number;
  /** POSTs to the two completion endpoints (what faultEvery counts). */
  completionRequests: number;
  /** Completion requests a fault was applied to. */
  faultsInjected: number;
}

export interface RunningMockServer {
  /** e.g. http://127.0.0.1:PORT (no trailing slash, no /v1). */
  url: string;
  port: number;
  host: string;
  /** Stops listening, cancels generations and destroys open sockets. Idempotent. */
  close(): Promise<void>;
  stats(): MockServerStats;
}

/** A request body larger than this gets 413 (and the connection is closed). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Longer than common clients' idle timeout (undici: 4 s): the client closes idle sockets first. */
const KEEP_ALIVE_TIMEOUT_MS = 30_000;

type ResolvedOptions = Required<Omit<MockServerOptions, 'answers'>>;

function resolveOptions(options: MockServerOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    ttftMs: options.ttftMs ?? 0,
    itlMs: options.itlMs ?? 0,
    outputTokens: options.outputTokens ?? 16,
    fault: options.fault ?? 'none',
    faultEvery: options.faultEvery ?? 1,
    backlog: options.backlog ?? 4096,
    maxConcurrency: options.maxConcurrency ?? 0,
  };
  type Name = keyof MockServerOptions;
  const integer = (name: Name, value: number, min: number, max: number): void => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`mock server option ${name} must be an integer from ${min} to ${max}, got ${value}`);
    }
  };
  const duration = (name: Name, value: number): void => {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`mock server option ${name} must be a finite number >= 0, got ${value}`);
    }
  };
  if (resolved.host === '') throw new RangeError('mock server option host must not be empty');
  integer('port', resolved.port, 0, 65535);
  duration('ttftMs', resolved.ttftMs);
  duration('itlMs', resolved.itlMs);
  integer('outputTokens', resolved.outputTokens, 1, MAX_OUTPUT_TOKENS);
  if (!MOCK_FAULTS.includes(resolved.fault)) {
    const kinds = MOCK_FAULTS.join(', ');
    const got = String(resolved.fault);
    throw new RangeError(`mock server option fault must be one of ${kinds}, got ${got}`);
  }
  integer('faultEvery', resolved.faultEvery, 1, Number.MAX_SAFE_INTEGER);
  integer('backlog', resolved.backlog, 1, 2 ** 31 - 1);
  integer('maxConcurrency', resolved.maxConcurrency, 0, 2 ** 31 - 1);
  return resolved;
}

const COMPLETION_PATHS: Readonly<Record<string, CompletionApi>> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
};
const MODELS_PATH = '/v1/models';

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type: OpenAiErrorType = 'invalid_request_error',
  param: string | null = null,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, errorBody(message, type, param), headers);
}

function methodNotAllowed(res: ServerResponse, method: string | undefined, path: string, allow: 'GET' | 'POST'): void {
  const message = `Method ${method ?? '?'} is not allowed on ${path}; use ${allow}`;
  sendError(res, 405, message, 'invalid_request_error', null, { Allow: allow });
}

function sendNotOpenAi(res: ServerResponse): void {
  sendBody(res, 200, 'text/html; charset=utf-8', NOT_OPENAI_HTML);
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The request as the answer key answers it: the answer's words, cut at max_tokens. */
function withAnswer(request: CompletionRequest, answer: string): CompletionRequest {
  const tokens = answerTokens(answer);
  const cut = request.finishReason === 'length' && tokens.length > request.outputTokens;
  return {
    ...request,
    answerTokens: cut ? tokens.slice(0, request.outputTokens) : tokens,
    outputTokens: cut ? request.outputTokens : tokens.length,
    finishReason: cut ? 'length' : 'stop',
  };
}

export async function startMockServer(options: MockServerOptions = {}): Promise<RunningMockServer> {
  const config = resolveOptions(options);
  const stats: MockServerStats = { requests: 0, completionRequests: 0, faultsInjected: 0 };
  const slots = new BatchSlots(config.maxConcurrency);
  const sockets = new Set<Socket>();
  const generations = new Set<() => void>();
  let responseSeq = 0;

  async function handleCompletion(api: CompletionApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.completionRequests++;
    const hit = config.fault !== 'none' && stats.completionRequests % config.faultEvery === 0;
    const fault: MockFault = hit ? config.fault : 'none';

    const body = await readBody(req, MAX_BODY_BYTES);
    if (body.kind === 'aborted') return;
    if (body.kind === 'too-large') {
      // The rest of the body is not read, so the connection cannot be reused.
      const message = `Request body is larger than ${MAX_BODY_BYTES} bytes`;
      sendError(res, 413, message, 'invalid_request_error', null, { Connection: 'close' });
      return;
    }
    const startedAtMs = performance.now();
    if (fault === 'not-openai' || fault === 'status-500') {
      stats.faultsInjected++;
      if (fault === 'not-openai') sendNotOpenAi(res);
      else sendError(res, 500, 'mock fault: internal error', 'server_error');
      return;
    }
    const parsed = parseCompletionRequest(api, body.text, config.outputTokens);
    if (!parsed.ok) {
      sendError(res, 400, parsed.message, 'invalid_request_error', parsed.param);
      return;
    }
    if (isGone(res)) return;
    if (fault !== 'none') stats.faultsInjected++;
    responseSeq++;
    const seq = responseSeq;
    const answer = options.answers?.answerFor(parsed.request.promptText) ?? null;
    const request = answer === null ? parsed.request : withAnswer(parsed.request, answer);
    let cancel: (() => void) | null = null;
    let left = false;
    let endsAtMs = Infinity;
    const { ttftMs, itlMs } = config;
    // A queued request's clock (TTFT) starts when it gets a slot, as on a server with full batches.
    const start = (freedAtMs: number): void => {
      const at = Math.max(startedAtMs, freedAtMs);
      endsAtMs = at + ttftMs + (request.outputTokens - 1) * itlMs;
      cancel = startGeneration(res, {
        request,
        identity: {
          id: `${api === 'chat' ? 'chatcmpl' : 'cmpl'}-mock${seq}`,
          created: Math.floor(Date.now() / 1000),
          model: parsed.request.model,
        },
        timing: { ttftMs, itlMs },
        fault: fault satisfies GenerationFault,
        startedAtMs: at,
      });
      generations.add(cancel);
    };
    // 'close' comes both after a normal end and when the client goes away mid-generation (or queued).
    res.once('close', () => {
      left = true;
      if (cancel === null) return;
      cancel();
      generations.delete(cancel);
      // The slot is free from the generation's planned end (or now, when the client left early).
      slots.release(Math.min(performance.now(), endsAtMs));
    });
    slots.admit({ start, gone: () => left });
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    stats.requests++;
    // A client that goes away must never take the server down with an unhandled 'error'.
    req.on('error', () => {});
    res.on('error', () => {});
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const api = COMPLETION_PATHS[path];

    const isCompletion = api !== undefined && req.method === 'POST';
    // Like pointing at a web server: HTML everywhere; completions follow faultEvery below.
    if (!isCompletion && config.fault === 'not-openai') return sendNotOpenAi(res);
    if (api !== undefined) {
      if (!isCompletion) return methodNotAllowed(res, req.method, path, 'POST');
      handleCompletion(api, req, res).catch(() => {
        // A bug, not the client's fault: answer 500 if still possible, else cut the connection.
        if (!res.headersSent) sendError(res, 500, 'mock server internal error', 'server_error');
        else res.destroy();
      });
      return;
    }
    if (path === MODELS_PATH) {
      if (req.method !== 'GET') return methodNotAllowed(res, req.method, path, 'GET');
      return sendJson(res, 200, modelList());
    }
    if (TOKENIZE_PATHS.has(path)) {
      if (req.method !== 'POST') return methodNotAllowed(res, req.method, path, 'POST');
      handleTokenize(path, req, res).catch(() => res.destroy());
      return;
    }
    sendError(res, 404, `Unknown path ${path}`);
  }

  const server = createServer({ keepAlive: true, noDelay: true, requestTimeout: 0, headersTimeout: 0 }, handle);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Malformed HTTP is left to node's default clientError handler (400, close): it never throws.

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: config.host, port: config.port, backlog: config.backlog });
  });
  // From now on errors are transient accept failures (e.g. EMFILE under load): keep serving.
  server.on('error', () => {});

  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(config.host)}:${port}`,
    port,
    host: config.host,
    stats: () => ({ ...stats }),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const cancel of generations) cancel();
        generations.clear();
        slots.clear();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
