/**
 * Parses and validates the JSON body of a completion request into what the mock needs to answer
 * it. Only the fields the mock uses are checked; unknown fields are ignored, as real servers do.
 * `n` is ignored (always one choice), and a list of prompts is counted as one prompt.
 */

import { countWords } from './mock-tokens.js';
import { MOCK_MODEL_ID, type CompletionApi, type FinishReason } from './openai-wire.js';

/** Larger max_tokens are rejected (like a context length) so one request cannot exhaust memory. */
export const MAX_OUTPUT_TOKENS = 1_000_000;

export interface CompletionRequest {
  api: CompletionApi;
  model: string;
  stream: boolean;
  /** `stream_options.include_usage`: send a usage chunk before [DONE]. */
  includeUsage: boolean;
  /** Whitespace-separated words of the prompt (see countWords). */
  promptTokens: number;
  /** N: tokens to generate, >= 1. */
  outputTokens: number;
  /** "length" when N came from the request's max_tokens / max_completion_tokens. */
  finishReason: FinishReason;
  /** The last user message (chat) or the prompt string (completions): what answer mode looks up. */
  promptText: string;
  /** Answer mode: the words to stream instead of tokN (outputTokens of them). */
  answerTokens?: readonly string[];
}

export type ParsedCompletionRequest =
  { ok: true; request: CompletionRequest } | { ok: false; message: string; param: string | null };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class InvalidRequest extends Error {
  constructor(
    message: string,
    readonly param: string | null,
  ) {
    super(message);
  }
}

/** Chat: every message's content (a string, or the `text` of `{type:'text'}` parts) is prompt. */
export function chatPromptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) {
    throw new InvalidRequest("'messages' is a required property and must be an array", 'messages');
  }
  let words = 0;
  messages.forEach((message: unknown, i) => {
    if (!isObject(message)) {
      throw new InvalidRequest(`'messages[${i}]' must be an object`, `messages[${i}]`);
    }
    const content = message.content;
    if (typeof content === 'string') {
      words += countWords(content);
    } else if (Array.isArray(content)) {
      for (const part of content as unknown[]) {
        if (isObject(part) && part.type === 'text' && typeof part.text === 'string') {
          words += countWords(part.text);
        }
      }
    }
    // Other content (null on tool-call turns, images) carries no words.
  });
  return words;
}

/** Completions: a string, a list of strings, or token ids (each id counts as one token). */
export function completionPromptTokens(prompt: unknown): number {
  if (typeof prompt === 'string') return countWords(prompt);
  if (Array.isArray(prompt)) {
    let tokens = 0;
    for (const item of prompt as unknown[]) {
      if (typeof item === 'string') tokens += countWords(item);
      else if (typeof item === 'number') tokens += 1;
      else if (Array.isArray(item) && item.every((id) => typeof id === 'number')) {
        tokens += item.length;
      } else {
        throw new InvalidRequest("'prompt' must be a string, strings or token ids", 'prompt');
      }
    }
    return tokens;
  }
  throw new InvalidRequest("'prompt' is a required property (a string or a list)", 'prompt');
}

function tokenLimit(body: Json, field: 'max_tokens' | 'max_completion_tokens'): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  const valid = typeof value === 'number' && Number.isInteger(value) && value >= 0;
  if (!valid || value > MAX_OUTPUT_TOKENS) {
    throw new InvalidRequest(`'${field}' must be an integer from 0 to ${MAX_OUTPUT_TOKENS}`, field);
  }
  return value;
}

/** The last user message's text (chat), or the prompt when it is one string (completions). */
function promptText(api: CompletionApi, body: Json): string {
  if (api !== 'chat') return typeof body.prompt === 'string' ? body.prompt : '';
  const messages = body.messages as unknown[];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (isObject(m) && m.role === 'user') {
      if (typeof m.content === 'string') return m.content;
      if (Array.isArray(m.content))
        return (m.content as unknown[])
          .map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : ''))
          .join('');
    }
  }
  return '';
}

export function parseCompletionRequest(
  api: CompletionApi,
  bodyText: string,
  defaultOutputTokens: number,
): ParsedCompletionRequest {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, message: `Request body is not valid JSON: ${reason}`, param: null };
  }
  if (!isObject(body)) {
    return { ok: false, message: 'Request body must be a JSON object', param: null };
  }
  try {
    const promptTokens = api === 'chat' ? chatPromptTokens(body.messages) : completionPromptTokens(body.prompt);
    if (body.model !== undefined && typeof body.model !== 'string') {
      throw new InvalidRequest("'model' must be a string", 'model');
    }
    const requested = tokenLimit(body, 'max_tokens') ?? tokenLimit(body, 'max_completion_tokens');
    const streamOptions = body.stream_options;
    return {
      ok: true,
      request: {
        api,
        model: body.model ?? MOCK_MODEL_ID,
        stream: body.stream === true,
        includeUsage: isObject(streamOptions) && streamOptions.include_usage === true,
        promptTokens,
        outputTokens: Math.max(1, requested ?? defaultOutputTokens),
        finishReason: requested === undefined ? 'stop' : 'length',
        promptText: promptText(api, body),
      },
    };
  } catch (err) {
    if (err instanceof InvalidRequest) return { ok: false, message: err.message, param: err.param };
    throw err;
  }
}
