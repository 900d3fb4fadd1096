/**
 * After the run, in the main process: the prompt tokens of every dataset row a completed request
 * was built from, counted once per row with the run's tokenizer. Nothing here runs while requests
 * are measured (the shards never see a tokenizer).
 */
import { buildBody, type RequestOptions } from '../api/openai-request.js';
import type { Sample } from '../dataset/sample.js';
import type { TokenizerCounts } from '../metrics/token-counts.js';
import type { RequestRecord } from '../record/request-record.js';
import type { PromptBody, PromptCounter } from './prompt-counter.js';

/** Requests to a server's /tokenize in flight at once: enough to hide loopback latency, few enough not to load it. */
const SERVER_PARALLEL = 8;

/** The prompt part of the body the shard sends for this row (same builder, so the same messages). */
export function promptBodyOf(sample: Sample, request: RequestOptions): PromptBody {
  const body = buildBody(sample, request);
  return {
    messages: body.messages as PromptBody['messages'],
    prompt: body.prompt as string | undefined,
    chat_template_kwargs: body.chat_template_kwargs as Record<string, unknown> | undefined,
  };
}

export async function countPrompts(
  records: Iterable<RequestRecord>,
  samples: readonly Sample[],
  request: RequestOptions,
  counter: PromptCounter,
): Promise<TokenizerCounts> {
  const counts = new Int32Array(samples.length).fill(-1);
  const wanted = new Uint8Array(samples.length);
  for (const r of records) if (r.error === '' && r.sampleIndex < samples.length) wanted[r.sampleIndex] = 1;
  const rows: number[] = [];
  for (let i = 0; i < wanted.length; i++) if (wanted[i] === 1) rows.push(i);
  let failure: string | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < rows.length) {
      const row = rows[next++];
      try {
        counts[row] = await counter.count(promptBodyOf(samples[row], request));
      } catch (err) {
        failure ??= `row ${row}: ${(err as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SERVER_PARALLEL, rows.length) }, worker));
  return failure === undefined
    ? { counts, tokenizer: counter.description }
    : { counts, tokenizer: counter.description, failure };
}
