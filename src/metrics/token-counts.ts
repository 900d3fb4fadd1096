/**
 * Input and output sequence lengths (ISL/OSL) of a run, each with where it came from. A length
 * nobody measured is left out of the series and counted as `none` with the reason, never taken
 * as 0: a server that sends no `usage` used to report ISL 0 for every request.
 *
 * ISL per request: the server's `usage.prompt_tokens` when it sent one, else the tokenizer's count
 * for the request's prompt (--tokenizer, counted after the run), else unmeasured. OSL: the
 * server's `usage.completion_tokens`, else the number of token-bearing chunks (streaming), else
 * unmeasured (a non-streaming answer without usage).
 */
import type { RequestRecord, TokenCountSource } from '../record/request-record.js';
import type { SeriesSummary } from './series-summary.js';
import { plainSeries, runPlan, type SeriesAllocator, type SeriesJob, type SeriesJobResult } from './series-jobs.js';

export type InputTokenSource = 'usage' | 'tokenizer' | 'none';

/** Prompt token counts a tokenizer gave, by dataset row (sampleIndex); -1 = not counted. */
export interface TokenizerCounts {
  counts: Int32Array;
  /** What counted them, for the report: `tokenizer.json (/models/x)`, `server /tokenize (vLLM shape)`. */
  tokenizer: string;
  /** The first error a count ended with (a template that raised, /tokenize failing), if any. */
  failure?: string;
}

/** A `--dataset synthetic:input=…` workload: the lengths asked for, and whether they are exact. */
export interface SyntheticLengths {
  input: number;
  /** null: no output= (max_tokens from --max-output-tokens, nothing forces the length). */
  output: number | null;
  range: number;
  prefix: number;
  /** Prompts were sized with the run's tokenizer (false: in words, approximate). */
  exact: boolean;
  /** Fields sent so the server generates `output` tokens (ignore_eos, min_tokens). */
  output_fields: string[];
  /** Why lengths are approximate (null when exact). */
  note: string | null;
}

/** What the summary gets beyond the records. */
export interface TokenCountInput {
  tokenizer?: TokenizerCounts;
  synthetic?: SyntheticLengths;
}

export interface TokenDisagreement {
  /** Completed requests with both a usage count and a tokenizer count. */
  compared: number;
  /** ...of which both counts were equal. */
  equal: number;
  /** Mean of (tokenizer − usage) / usage × 100 (signed: > 0, the tokenizer counts more). */
  mean_pct: number;
  /** Largest |tokenizer − usage| / usage × 100. */
  max_abs_pct: number;
}

export interface InputTokenCounts {
  /** Completed requests by where their ISL came from. */
  sources: Record<InputTokenSource, number>;
  /** The tokenizer that counted prompts (null: none was given). */
  tokenizer: string | null;
  /** Why some ISLs are missing (null when every completed request has one). */
  null_reason: string | null;
  /** Server usage against the tokenizer, where both exist (null: none has both). */
  usage_vs_tokenizer: TokenDisagreement | null;
}

export interface OutputTokenCounts {
  /** Completed requests by where their OSL came from. */
  sources: Record<TokenCountSource, number>;
  null_reason: string | null;
}

export interface TokenCountsSummary {
  input: InputTokenCounts;
  output: OutputTokenCounts;
  /** The synthetic-by-length workload (null: another dataset). */
  synthetic: SyntheticLengths | null;
}

export interface TokenLengths {
  input_sequence_lengths: SeriesSummary;
  output_sequence_lengths: SeriesSummary;
  token_counts: TokenCountsSummary;
}

/** The tokenizer's count for this request's prompt, or -1. */
export function tokenizerCountOf(r: RequestRecord, counts: TokenizerCounts | undefined): number {
  if (counts === undefined) return -1;
  const n = counts.counts[r.sampleIndex];
  return n === undefined ? -1 : n;
}

/** A request's ISL and where it came from (`none`: -1). */
export function inputTokensOf(
  r: RequestRecord,
  counts: TokenizerCounts | undefined,
): { tokens: number; source: InputTokenSource } {
  if (r.inputTokens >= 0) return { tokens: r.inputTokens, source: 'usage' };
  const counted = tokenizerCountOf(r, counts);
  return counted >= 0 ? { tokens: counted, source: 'tokenizer' } : { tokens: -1, source: 'none' };
}

/** ISL and OSL series over completed requests (those measured), with their sources. */
export function summarizeTokenLengths(records: Iterable<RequestRecord>, input?: TokenCountInput): TokenLengths {
  return runPlan(tokenLengthsPlan(records, input, plainSeries));
}

/**
 * summarizeTokenLengths as a plan: the two series' sorts are jobs (series-jobs.ts). `completed`:
 * the number of successful records when the caller has counted them — then one pass over the
 * records, into arrays of that size cut to what was filled (same values, same order), where a
 * pass to count first cost ~100 ms of a 1M-record summary.
 */
export function* tokenLengthsPlan(
  records: Iterable<RequestRecord>,
  input: TokenCountInput | undefined,
  alloc: SeriesAllocator,
  completed?: number,
): Generator<SeriesJob[], TokenLengths, SeriesJobResult[]> {
  const counts = input?.tokenizer;
  const inputSources: Record<InputTokenSource, number> = { usage: 0, tokenizer: 0, none: 0 };
  const outputSources: Record<TokenCountSource, number> = { usage: 0, chunks: 0, none: 0 };
  let noUsageStreaming = 0;
  let inputRoom: Float64Array;
  let outputRoom: Float64Array;
  if (completed === undefined) {
    const inSources: Record<InputTokenSource, number> = { usage: 0, tokenizer: 0, none: 0 };
    const outSources: Record<TokenCountSource, number> = { usage: 0, chunks: 0, none: 0 };
    for (const r of records) {
      if (r.error !== '') continue;
      inSources[inputTokensOf(r, counts).source]++;
      outSources[r.tokenSource]++;
    }
    inputRoom = alloc(inSources.usage + inSources.tokenizer);
    outputRoom = alloc(outSources.usage + outSources.chunks);
  } else {
    inputRoom = alloc(completed);
    outputRoom = alloc(completed);
  }
  let inAt = 0;
  let outAt = 0;
  let compared = 0;
  let equal = 0;
  let pctSum = 0;
  let maxAbsPct = 0;
  for (const r of records) {
    if (r.error !== '') continue;
    const isl = inputTokensOf(r, counts);
    inputSources[isl.source]++;
    outputSources[r.tokenSource]++;
    if (r.streaming && r.inputTokens < 0) noUsageStreaming++;
    if (isl.tokens >= 0) inputRoom[inAt++] = isl.tokens;
    if (r.tokenSource !== 'none') outputRoom[outAt++] = r.outputTokens;
    const counted = tokenizerCountOf(r, counts);
    if (r.inputTokens >= 0 && counted >= 0) {
      compared++;
      if (counted === r.inputTokens) equal++;
      const pct = r.inputTokens > 0 ? ((counted - r.inputTokens) / r.inputTokens) * 100 : counted === 0 ? 0 : 100;
      pctSum += pct;
      if (Math.abs(pct) > maxAbsPct) maxAbsPct = Math.abs(pct);
    }
  }
  const inputLengths = inputRoom.subarray(0, inAt);
  const outputLengths = outputRoom.subarray(0, outAt);
  const [inputSummary, outputSummary] = (yield [
    { kind: 'series', values: inputLengths },
    { kind: 'series', values: outputLengths },
  ]) as SeriesSummary[];
  const sources = { inputSources, outputSources, noUsageStreaming, compared, equal, pctSum, maxAbsPct };
  return tokenLengthsOf(sources, input, inputSummary, outputSummary);
}

/** What tokenLengthsPlan counts over the completed requests beside the two series. */
export interface TokenSourceCounts {
  inputSources: Record<InputTokenSource, number>;
  outputSources: Record<TokenCountSource, number>;
  /** Streaming requests without usage.prompt_tokens. */
  noUsageStreaming: number;
  /** Requests with a usage and a tokenizer count; of which equal; the sum of their differences in %, and the largest. */
  compared: number;
  equal: number;
  pctSum: number;
  maxAbsPct: number;
}

/**
 * ISL/OSL from their summarized series and the sources' counts: the summary over records in memory
 * and the results store's bounded end (store/bounded-summary.ts) both end here.
 */
export function tokenLengthsOf(
  c: TokenSourceCounts,
  input: TokenCountInput | undefined,
  inputSummary: SeriesSummary,
  outputSummary: SeriesSummary,
): TokenLengths {
  const counts = input?.tokenizer;
  const { inputSources, outputSources, compared } = c;
  return {
    input_sequence_lengths: inputSummary,
    output_sequence_lengths: outputSummary,
    token_counts: {
      input: {
        sources: inputSources,
        tokenizer: counts?.tokenizer ?? null,
        null_reason: inputSources.none === 0 ? null : inputNullReason(inputSources.none, c.noUsageStreaming, counts),
        usage_vs_tokenizer:
          compared === 0 ? null : { compared, equal: c.equal, mean_pct: c.pctSum / compared, max_abs_pct: c.maxAbsPct },
      },
      output: {
        sources: outputSources,
        null_reason:
          outputSources.none === 0
            ? null
            : `${outputSources.none} non-streaming answer(s) had no usage: the server did not say how many tokens it ` +
              'generated, and without a stream there are no chunks to count. Use --streaming on, or a server that sends usage.',
      },
      synthetic: input?.synthetic ?? null,
    },
  };
}

function inputNullReason(missing: number, streaming: number, counts: TokenizerCounts | undefined): string {
  const usage =
    streaming > 0
      ? 'the server sent no usage.prompt_tokens (not even with stream_options.include_usage)'
      : 'the server sent no usage.prompt_tokens';
  if (counts === undefined) {
    return `ISL not measured for ${missing} request(s): ${usage}, and no --tokenizer was given. Pass --tokenizer PATH (a tokenizer.json or model directory) or --tokenizer server.`;
  }
  const why = counts.failure !== undefined ? ` (${counts.failure})` : '';
  return `ISL not measured for ${missing} request(s): ${usage}, and ${counts.tokenizer} did not count their prompts${why}.`;
}

/** The summary's warnings for lengths nobody measured. */
export function tokenCountWarnings(counts: TokenCountsSummary): string[] {
  const warnings: string[] = [];
  if (counts.input.null_reason !== null) warnings.push(counts.input.null_reason);
  if (counts.output.null_reason !== null) warnings.push(counts.output.null_reason);
  if (counts.synthetic?.note != null) warnings.push(counts.synthetic.note);
  return warnings;
}
