/**
 * What counts a request's prompt tokens the way the server would: a local tokenizer.json with its
 * chat template (local-tokenizer.ts) or the endpoint's own /tokenize (server-tokenizer.ts). Both
 * take the request body as sent, so a chat request is counted after its chat template.
 */
import type { ChatMessage } from '../dataset/sample.js';

/** The part of a request body that decides its prompt tokens. */
export interface PromptBody {
  /** Chat requests. */
  messages?: readonly ChatMessage[];
  /** Completions requests. */
  prompt?: string;
  /** Forwarded to the chat template (vLLM and SGLang accept it in the request). */
  chat_template_kwargs?: Record<string, unknown>;
}

export interface PromptCounter {
  /** For the report: `tokenizer.json (/models/x)`, `server /tokenize (vLLM shape)`. */
  readonly description: string;
  /** Prompt tokens of one request body; rejects when it cannot say. */
  count(body: PromptBody): Promise<number>;
  /** Releases connections (server) or nothing. */
  close(): Promise<void>;
}
