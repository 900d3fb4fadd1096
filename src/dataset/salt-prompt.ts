/**
 * Warmup salt (--warmup-salt): a random `[16 hex digits] ` in front of the prompt, MLPerf
 * Endpoints' format (Dataset._apply_salt), so a warmup request shares no prefix with the measured
 * prompts and the server's prefix cache is not warmed with them. A chat sample is salted in its
 * first message: a prefix cache keys on the start of the conversation (the system prompt).
 */
import { randomBytes } from 'node:crypto';
import type { Sample } from './sample.js';

export function saltSample(sample: Sample): Sample {
  const salt = `[${randomBytes(8).toString('hex')}] `;
  const salted: Sample = { ...sample, prompt: salt + sample.prompt };
  if (sample.messages !== undefined && sample.messages.length > 0) {
    const [first, ...rest] = sample.messages;
    salted.messages = [{ ...first, content: salt + first.content }, ...rest];
  }
  return salted;
}
