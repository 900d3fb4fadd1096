/**
 * One row of a dataset: what a request is built from. Readers (JSONL, JSON, synthetic) all
 * produce this shape so request builders never see the file format.
 */

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool' | 'developer';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface Sample {
  /** The prompt as plain text (for /v1/completions, and the user text for chat). */
  prompt: string;
  /** Chat messages when the row gave a `messages` array; otherwise undefined and chat requests use [{role:'user', content: prompt}]. */
  messages?: ChatMessage[];
  /**
   * The whole conversation of a multi-turn row (ShareGPT `conversations` with more than one human
   * turn), system turn first, for a multi-turn runner; single-turn runs send `messages` (the
   * system turn and the first human turn) and ignore it.
   */
  turns?: ChatMessage[];
  /** Optional per-row output cap (column `max_tokens`, `max_output_tokens` or `output_len`), else undefined. */
  maxOutputTokens?: number;
  /** Accuracy datasets: the row's right answer, from the ground-truth column. */
  groundTruth?: string;
}
