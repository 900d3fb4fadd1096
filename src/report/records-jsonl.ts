/**
 * records.jsonl: one line per request, written when the run ends (also when it was interrupted).
 * Times are nanoseconds relative to the run's start (null = never reached); derived ttft/latency/
 * client wait are included so a line stands on its own. A token count nobody measured is null, with
 * its source saying why (`input_token_source`/`token_source` "none"; docs/tokenizers.md). Records hold no secrets: the shard scrubs
 * every string as it packs the record (record/record-batch.ts, record/redact-secrets.ts).
 */
import { createWriteStream } from 'node:fs';
import { inputTokensOf, tokenizerCountOf, type TokenizerCounts } from '../metrics/token-counts.js';
import type { RequestRecord } from '../record/request-record.js';
import { writeAtomically } from './report-files.js';

function rel(t: number, t0: number): number | null {
  return Number.isFinite(t) ? Math.round(t - t0) : null;
}

function diff(a: number, b: number): number | null {
  return Number.isFinite(a) && Number.isFinite(b) ? Math.round(a - b) : null;
}

export function recordToJson(
  r: RequestRecord,
  t0: number,
  endpointNames: readonly string[],
  tokens?: TokenizerCounts,
): Record<string, unknown> {
  const isl = inputTokensOf(r, tokens);
  const counted = tokenizerCountOf(r, tokens);
  const chunks: number[] = new Array<number>(r.chunkTimes.length);
  for (let i = 0; i < r.chunkTimes.length; i++) chunks[i] = Math.round(r.chunkTimes[i] - t0);
  return {
    id: r.id,
    sample_index: r.sampleIndex,
    shard: r.shard,
    endpoint: endpointNames[r.endpoint] ?? r.endpoint,
    source_ip: r.sourceIp === '' ? null : r.sourceIp,
    streaming: r.streaming,
    reused_connection: r.reused,
    retries: r.retries,
    status: r.status,
    error: r.error === '' ? null : r.error,
    error_message: r.errorMessage === '' ? null : r.errorMessage,
    finish_reason: r.finishReason === '' ? null : r.finishReason,
    input_tokens: isl.tokens < 0 ? null : isl.tokens,
    input_token_source: isl.source,
    tokenizer_input_tokens: counted < 0 ? null : counted,
    cached_tokens: r.cachedTokens < 0 ? null : r.cachedTokens,
    output_tokens: r.tokenSource === 'none' ? null : r.outputTokens,
    token_source: r.tokenSource,
    ttft_ns: r.streaming ? diff(r.firstToken, r.sent) : null,
    latency_ns: diff(r.end, r.sent),
    client_wait_ns: diff(r.sent, r.scheduled),
    scheduled_ns: rel(r.scheduled, t0),
    dispatched_ns: rel(r.dispatched, t0),
    connect_start_ns: rel(r.connectStart, t0),
    connected_ns: rel(r.connected, t0),
    sent_ns: rel(r.sent, t0),
    headers_ns: rel(r.headers, t0),
    first_chunk_ns: rel(r.firstChunk, t0),
    first_token_ns: rel(r.firstToken, t0),
    end_ns: rel(r.end, t0),
    chunk_times_ns: chunks,
    // --multi-turn only: the session and the turn (src/conversation).
    ...(r.turn !== undefined && r.turn > 0 ? { conversation: r.conversation, turn: r.turn } : {}),
  };
}

function num(v: number | null): string {
  return v === null ? 'null' : String(v);
}

/**
 * The same line as JSON.stringify(recordToJson(r, …)), byte for byte (the tests hold it to that),
 * built directly: no object per record, and the chunk times joined as numbers. For a 61-chunk
 * record: 5.7–5.9 µs against 8.6–9.0 µs for JSON.stringify of the object (most of what is left is
 * formatting the numbers themselves).
 */
export function recordToJsonLine(
  r: RequestRecord,
  t0: number,
  endpointNames: readonly string[],
  tokens?: TokenizerCounts,
): string {
  const isl = inputTokensOf(r, tokens);
  const counted = tokenizerCountOf(r, tokens);
  let chunks = '';
  const times = r.chunkTimes;
  for (let i = 0; i < times.length; i++) chunks += (i === 0 ? '' : ',') + String(Math.round(times[i] - t0));
  const endpoint = endpointNames[r.endpoint];
  return (
    `{"id":${r.id},"sample_index":${r.sampleIndex},"shard":${r.shard},` +
    `"endpoint":${endpoint !== undefined ? JSON.stringify(endpoint) : String(r.endpoint)},` +
    `"source_ip":${r.sourceIp === '' ? 'null' : JSON.stringify(r.sourceIp)},` +
    `"streaming":${r.streaming},"reused_connection":${r.reused},"retries":${r.retries},"status":${r.status},` +
    `"error":${r.error === '' ? 'null' : JSON.stringify(r.error)},` +
    `"error_message":${r.errorMessage === '' ? 'null' : JSON.stringify(r.errorMessage)},` +
    `"finish_reason":${r.finishReason === '' ? 'null' : JSON.stringify(r.finishReason)},` +
    `"input_tokens":${isl.tokens < 0 ? 'null' : isl.tokens},"input_token_source":"${isl.source}",` +
    `"tokenizer_input_tokens":${counted < 0 ? 'null' : counted},` +
    `"cached_tokens":${r.cachedTokens < 0 ? 'null' : r.cachedTokens},` +
    `"output_tokens":${r.tokenSource === 'none' ? 'null' : r.outputTokens},"token_source":${JSON.stringify(r.tokenSource)},` +
    `"ttft_ns":${r.streaming ? num(diff(r.firstToken, r.sent)) : 'null'},` +
    `"latency_ns":${num(diff(r.end, r.sent))},"client_wait_ns":${num(diff(r.sent, r.scheduled))},` +
    `"scheduled_ns":${num(rel(r.scheduled, t0))},"dispatched_ns":${num(rel(r.dispatched, t0))},` +
    `"connect_start_ns":${num(rel(r.connectStart, t0))},` +
    `"connected_ns":${num(rel(r.connected, t0))},"sent_ns":${num(rel(r.sent, t0))},` +
    `"headers_ns":${num(rel(r.headers, t0))},"first_chunk_ns":${num(rel(r.firstChunk, t0))},` +
    `"first_token_ns":${num(rel(r.firstToken, t0))},"end_ns":${num(rel(r.end, t0))},` +
    `"chunk_times_ns":[${chunks}]` +
    (r.turn !== undefined && r.turn > 0 ? `,"conversation":${r.conversation},"turn":${r.turn}}` : '}')
  );
}

/**
 * Writes records.jsonl after the run, in slices with back-pressure: during the run the main
 * process only collects, so on a small machine it never takes CPU from the shards mid-measurement.
 * Atomic: the file appears only once it is complete (a full disk leaves no truncated records.jsonl).
 */
export function writeRecordsJsonl(
  file: string,
  records: Iterable<RequestRecord>,
  t0: number,
  endpointNames: readonly string[],
  tokens?: TokenizerCounts,
): Promise<void> {
  return writeAtomically(file, (temp) => writeLines(temp, records, t0, endpointNames, tokens));
}

async function writeLines(
  file: string,
  records: Iterable<RequestRecord>,
  t0: number,
  endpointNames: readonly string[],
  tokens: TokenizerCounts | undefined,
): Promise<void> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  // Handled here so an error between two awaits (ENOSPC while a slice is buffered) is not an
  // unhandled rejection; every await below races it.
  failed.catch(() => undefined);
  const SLICE = 2000;
  let text = '';
  let inText = 0;
  const flush = async (): Promise<void> => {
    const chunk = text;
    text = '';
    inText = 0;
    if (!out.write(chunk)) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
  };
  for (const r of records) {
    text += recordToJsonLine(r, t0, endpointNames, tokens) + '\n';
    if (++inText === SLICE) await flush();
  }
  if (inText > 0) await flush();
  await Promise.race([new Promise<void>((r) => out.end(() => r())), failed]);
}
