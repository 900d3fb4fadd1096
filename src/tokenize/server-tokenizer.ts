/**
 * `--tokenizer server`: the endpoint counts prompts itself with its `/tokenize` route, which
 * answers in one of two shapes (the one used is detected once and named in the report):
 *
 * - vLLM and SGLang: `POST /tokenize {model, prompt}` or `{model, messages, add_generation_prompt}`
 *   → `{count, tokens, max_model_len}`. The chat form applies the server's own chat template.
 * - llama.cpp: `POST /tokenize {content, add_special}` → `{tokens}`; a chat prompt is first
 *   rendered by `POST /apply-template {messages}` → `{prompt}` and then tokenized with special
 *   tokens (BOS) added and parsed, as llama-server does with a chat completion.
 *
 * llama.cpp answers `{tokens: []}` to a body without `content`, so an empty answer to a non-empty
 * probe is not taken for a count. Used after the run (and once before it, to detect the shape),
 * never while requests are measured.
 */
import type { ResolvedEndpoint } from '../shard/shard-plan.js';
import { BadInputError, ErrorCode } from '../errors.js';
import type { PromptBody, PromptCounter } from './prompt-counter.js';

export type TokenizeShape = 'vllm' | 'llama.cpp';

export const SHAPE_NAMES: Record<TokenizeShape, string> = {
  vllm: 'vLLM/SGLang shape',
  'llama.cpp': 'llama.cpp shape',
};

/** A request that takes longer is a server in trouble: give up on that count. */
const TOKENIZE_TIMEOUT_MS = 30_000;
/** The words of the probe: any short text has at least one token on every tokenizer. */
const PROBE_TEXT = 'Hello world';

export interface ServerTokenizerOptions {
  model: string;
  apiKey?: string;
}

/** Origin plus the base path without a trailing /v1 (vLLM and llama.cpp serve /tokenize at the root). */
export function tokenizeBase(endpoint: ResolvedEndpoint): string {
  const base = endpoint.basePath.replace(/\/v1\/?$/, '').replace(/\/$/, '');
  return `${endpoint.tls ? 'https' : 'http'}://${endpoint.hostHeader}${base}`;
}

interface PostResult {
  status: number;
  json: unknown;
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<PostResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(TOKENIZE_TIMEOUT_MS),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: the caller looks at the status and shape
  }
  return { status: res.status, json };
}

function field(json: unknown, name: string): unknown {
  return typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[name] : undefined;
}

/** The count in a vLLM/SGLang answer (`count`, else the length of `tokens`), or -1. */
function vllmCount(r: PostResult): number {
  if (r.status !== 200) return -1;
  const count = field(r.json, 'count');
  if (typeof count === 'number' && Number.isInteger(count) && count >= 0) return count;
  const tokens = field(r.json, 'tokens');
  return Array.isArray(tokens) ? tokens.length : -1;
}

function llamaCount(r: PostResult): number {
  if (r.status !== 200) return -1;
  const tokens = field(r.json, 'tokens');
  return Array.isArray(tokens) ? tokens.length : -1;
}

/**
 * Detects the endpoint's /tokenize shape and returns a counter. Throws BadInputError when it has
 * neither (the run has not started: the user can pick --tokenizer PATH instead).
 */
export async function connectServerTokenizer(
  endpoint: ResolvedEndpoint,
  options: ServerTokenizerOptions,
): Promise<PromptCounter & { shape: TokenizeShape }> {
  const base = tokenizeBase(endpoint);
  const headers: Record<string, string> = {};
  if (options.apiKey !== undefined && options.apiKey !== '') headers.authorization = `Bearer ${options.apiKey}`;
  else if (endpoint.basicAuthorization !== undefined) headers.authorization = endpoint.basicAuthorization;

  let shape: TokenizeShape | null = null;
  let seen = '';
  try {
    const v = await post(`${base}/tokenize`, { model: options.model, prompt: PROBE_TEXT }, headers);
    const n = vllmCount(v);
    // A vLLM answer has `count`; llama.cpp's {tokens: []} for a body without content is not one.
    if (n > 0 && field(v.json, 'count') !== undefined) shape = 'vllm';
    else {
      const l = await post(`${base}/tokenize`, { content: PROBE_TEXT, add_special: false }, headers);
      if (llamaCount(l) > 0) shape = 'llama.cpp';
      else seen = `HTTP ${v.status} to the vLLM shape, HTTP ${l.status} to the llama.cpp shape`;
    }
  } catch (err) {
    seen = (err as Error).message;
  }
  if (shape === null) {
    throw new BadInputError(
      ErrorCode.tokenizeUnsupported,
      `--tokenizer server: ${endpoint.displayUrl} has no /tokenize that counts tokens (${seen}). ` +
        'vLLM, SGLang and llama.cpp serve one; otherwise give --tokenizer PATH (a tokenizer.json or model directory).',
    );
  }
  const detected = shape;
  const count = async (body: PromptBody): Promise<number> => {
    let n: number;
    if (detected === 'vllm') {
      const request: Record<string, unknown> =
        body.messages !== undefined
          ? { model: options.model, messages: body.messages, add_generation_prompt: true }
          : { model: options.model, prompt: body.prompt ?? '' };
      if (body.messages !== undefined && body.chat_template_kwargs !== undefined)
        request.chat_template_kwargs = body.chat_template_kwargs;
      n = vllmCount(await post(`${base}/tokenize`, request, headers));
    } else {
      let content = body.prompt ?? '';
      if (body.messages !== undefined) {
        const t = await post(`${base}/apply-template`, { messages: body.messages }, headers);
        const prompt = field(t.json, 'prompt');
        if (t.status !== 200 || typeof prompt !== 'string')
          throw new Error(`POST /apply-template answered HTTP ${t.status} without a prompt`);
        content = prompt;
      }
      n = llamaCount(await post(`${base}/tokenize`, { content, add_special: true, parse_special: true }, headers));
    }
    if (n < 0) throw new Error('POST /tokenize gave no count');
    return n;
  };
  return {
    shape: detected,
    description: `server /tokenize (${SHAPE_NAMES[detected]}, ${endpoint.displayUrl})`,
    count,
    close: () => Promise.resolve(),
  };
}
