/**
 * The mock's /tokenize and /apply-template, in the shapes real servers use, counting exactly as
 * the mock's usage does (mock-tokens.ts: whitespace words), so `--tokenizer server` against the
 * mock must equal usage for every request:
 *
 * - `{content}` → `{tokens}` (llama.cpp; `add_special` adds nothing: the mock has no BOS);
 * - `{prompt}` or `{messages}` → `{count, max_model_len, tokens}` (vLLM, SGLang);
 * - `/apply-template {messages}` → `{prompt}`: the contents, one per line (llama.cpp).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { chatPromptTokens, completionPromptTokens, MAX_OUTPUT_TOKENS } from './completion-request.js';
import { readBody, sendJson } from './http-io.js';
import { countWords } from './mock-tokens.js';
import { errorBody } from './openai-wire.js';

export const TOKENIZE_PATHS: ReadonlySet<string> = new Set(['/tokenize', '/apply-template']);

/** Bodies are prompts: the same cap as a completion's. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

function ids(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export async function handleTokenize(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body.kind === 'aborted') return;
  if (body.kind === 'too-large') {
    sendJson(res, 413, errorBody('Request body is too large', 'invalid_request_error', null), { Connection: 'close' });
    return;
  }
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(body.text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    json = parsed as Record<string, unknown>;
  } catch {
    sendJson(res, 400, errorBody('Request body must be a JSON object', 'invalid_request_error', null));
    return;
  }
  try {
    if (path === '/apply-template') {
      const messages = json.messages;
      chatPromptTokens(messages); // validates
      const prompt = (messages as { content?: unknown }[])
        .map((m) => (typeof m.content === 'string' ? m.content : ''))
        .join('\n');
      sendJson(res, 200, { prompt });
      return;
    }
    if (typeof json.content === 'string') {
      sendJson(res, 200, { tokens: ids(countWords(json.content)) });
      return;
    }
    const n = json.messages !== undefined ? chatPromptTokens(json.messages) : completionPromptTokens(json.prompt);
    sendJson(res, 200, { count: n, max_model_len: MAX_OUTPUT_TOKENS, tokens: ids(n) });
  } catch (err) {
    sendJson(res, 400, errorBody((err as Error).message, 'invalid_request_error', null));
  }
}
