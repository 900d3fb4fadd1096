/**
 * Decoding OpenAI responses into what the measurement needs: which stream events carry tokens,
 * the finish reason, the server's token counts, and errors. Works for chat completions
 * (`choices[0].delta`) and completions (`choices[0].text`) alike.
 */

import { ScanResult, scanChunk } from './openai-chunk-scanner.js';
import { nativeAddon } from '../native/addon.js';
import { SSE_SLOT_COUNT, SseSlot } from '../native/slots.js';
import { excerpt } from '../record/redact-secrets.js';

/** scanJson's output, laid out as SseSlot (slot `events` = 1 when the body has a top-level choices array). */
const JSON_SCAN = new Int32Array(SSE_SLOT_COUNT);

/** What one SSE event meant for the measurement. */
export const enum StreamEventKind {
  /** No generated content (role-only opening chunk, usage chunk, finish chunk, keep-alive). */
  Empty = 0,
  /** Carried content, reasoning or a tool-call delta. */
  Token = 1,
  /** `[DONE]`. */
  Done = 2,
  /** The data was not valid JSON. */
  Malformed = 3,
  /** The server reported an error inside the stream. */
  ServerError = 4,
}

interface ChoiceLike {
  delta?: {
    content?: unknown;
    reasoning_content?: unknown;
    reasoning?: unknown;
    tool_calls?: unknown;
    function_call?: unknown;
  };
  text?: unknown;
  message?: { content?: unknown; reasoning_content?: unknown; reasoning?: unknown; tool_calls?: unknown };
  finish_reason?: unknown;
}

interface UsageLike {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
}

const DONE = Buffer.from('[DONE]');

/** Per-request decoding state. */
export class OpenAiResponseState {
  finishReason = '';
  /** -1 until the server reports usage. */
  promptTokens = -1;
  completionTokens = -1;
  /** usage.prompt_tokens_details.cached_tokens; -1 until the server reports it. */
  cachedTokens = -1;
  tokenEvents = 0;
  /**
   * Tokens the last stream event (or natively scanned batch) stands for: its cumulative
   * usage.completion_tokens minus the previous one when the server counts per chunk and the count
   * advances (vLLM and SGLang with `stream_options.continuous_usage_stats`), else 1 per
   * token-bearing event. So an
   * empty-content chunk the server counts as a token (a byte-fallback piece of a character) is
   * one, and an uncounted one is none (see docs/metrics.md).
   */
  eventTokens = 0;
  /** A non-streaming body had generated content (message content, text, reasoning, tool calls). */
  bodyHasToken = false;
  errorMessage = '';
  /** Generated text, only collected when `captureText` is set. */
  text = '';
  /** Set by the scanner (see ScanOutput). */
  choicesAt = -1;
  sawChoices = false;
  /** The stream's chunk envelope (bytes before `"choices"`), skipped when it repeats. */
  private envelope: Buffer | null = null;

  constructor(readonly captureText: boolean) {}

  /**
   * Interpret one SSE event's data, buf[start, end): the hot path. Token presence and finish
   * reason come from a byte scan; chunks with usage or an error (and every chunk when the text
   * is kept) are parsed in full.
   */
  applyStreamEventBytes(event: string, buf: Buffer, start: number, end: number): StreamEventKind {
    const before = this.completionTokens;
    // -1 while scanning: whether this event carries a count is then plain to see.
    this.completionTokens = -1;
    const kind = this.applyStreamEventBytesCounted(event, buf, start, end);
    const count = this.completionTokens;
    if (count < 0) this.completionTokens = before;
    // No advance (a per-chunk rather than cumulative count, a finish chunk): the event rule.
    this.eventTokens =
      count >= 0 && before >= 0 && count > before ? count - before : kind === StreamEventKind.Token ? 1 : 0;
    return kind;
  }

  private applyStreamEventBytesCounted(event: string, buf: Buffer, start: number, end: number): StreamEventKind {
    if (end - start === 6 && buf[start] === 0x5b && buf.compare(DONE, 0, 6, start, end) === 0)
      return StreamEventKind.Done;
    if (this.captureText || event !== '') return this.applyStreamEvent(event, buf.toString('utf8', start, end));
    const env = this.envelope;
    const skip =
      env !== null && end - start > env.length && buf.compare(env, 0, env.length, start, start + env.length) === 0;
    const r = scanChunk(buf, start, skip ? start + env!.length : start, end, this);
    if (!skip && this.choicesAt > start) this.envelope = Buffer.from(buf.subarray(start, this.choicesAt));
    switch (r) {
      case ScanResult.Token:
        this.tokenEvents++;
        return StreamEventKind.Token;
      case ScanResult.Empty:
        return StreamEventKind.Empty;
      case ScanResult.Malformed:
        this.errorMessage = `stream event is not JSON: ${excerpt(buf.toString('utf8', start, Math.min(end, start + 400)))}`;
        return StreamEventKind.Malformed;
      default:
        return this.applyStreamEvent(event, buf.toString('utf8', start, end));
    }
  }

  /** Interpret one SSE event's data. */
  applyStreamEvent(event: string, data: string): StreamEventKind {
    if (data === '[DONE]') return StreamEventKind.Done;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      this.errorMessage = `stream event is not JSON: ${excerpt(data)}`;
      return StreamEventKind.Malformed;
    }
    if (typeof parsed !== 'object' || parsed === null) {
      this.errorMessage = `stream event is not a JSON object: ${excerpt(data)}`;
      return StreamEventKind.Malformed;
    }
    const obj = parsed as { choices?: unknown; usage?: unknown; error?: unknown };
    if (event === 'error' || (obj.error !== undefined && obj.error !== null)) {
      this.errorMessage = `server error in stream: ${excerpt(describeError(obj.error ?? obj))}`;
      return StreamEventKind.ServerError;
    }
    this.applyUsage(obj.usage);
    const choices = obj.choices;
    if (!Array.isArray(choices) || choices.length === 0) return StreamEventKind.Empty;
    // `?? {}`: a null choice from a broken server must not throw out of the socket's data handler.
    const choice = (choices[0] ?? {}) as ChoiceLike;
    if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
    let hasToken = false;
    const delta = choice.delta;
    if (delta !== undefined && delta !== null) {
      hasToken =
        nonEmptyString(delta.content) ||
        nonEmptyString(delta.reasoning_content) ||
        nonEmptyString(delta.reasoning) ||
        nonEmptyArray(delta.tool_calls) ||
        (delta.function_call !== undefined && delta.function_call !== null);
      if (this.captureText && typeof delta.content === 'string') this.text += delta.content;
    } else if (nonEmptyString(choice.text)) {
      hasToken = true;
      if (this.captureText) this.text += choice.text as string;
    }
    if (!hasToken) return StreamEventKind.Empty;
    this.tokenEvents++;
    return StreamEventKind.Token;
  }

  /** Apply a natively scanned run of clean events (see SseEventSink.onSseBatch); sets eventTokens for the run. */
  applyStreamBatch(buf: Buffer, out: Int32Array): void {
    this.tokenEvents += out[SseSlot.tokens];
    this.eventTokens = out[SseSlot.countedTokens];
    this.applyScanned(buf, out);
  }

  /** Finish reason and usage from a native scan's output (-1 = not seen). */
  private applyScanned(buf: Buffer, out: Int32Array): void {
    if (out[SseSlot.finishStart] >= 0)
      this.finishReason = buf.toString('latin1', out[SseSlot.finishStart], out[SseSlot.finishEnd]);
    if (out[SseSlot.promptTokens] >= 0) this.promptTokens = out[SseSlot.promptTokens];
    if (out[SseSlot.completionTokens] >= 0) this.completionTokens = out[SseSlot.completionTokens];
    if (out[SseSlot.cachedTokens] >= 0) this.cachedTokens = out[SseSlot.cachedTokens];
  }

  /** Interpret a whole non-streaming JSON body from bytes: scanned, parsed in full only for errors or text capture. */
  applyJsonBodyBytes(buf: Buffer, start: number, end: number): boolean {
    const native = this.captureText ? null : nativeAddon();
    if (native !== null) {
      // The same scan in C (native/sse_scan.c): a ~1 KB answer costs ~1.7 µs in the JS byte loop.
      const r = native.scanJson(buf, start, end, JSON_SCAN);
      if (r >= 0 && JSON_SCAN[SseSlot.events] === 1) {
        this.applyScanned(buf, JSON_SCAN);
        this.bodyHasToken = r === 1;
        return true;
      }
    } else if (!this.captureText) {
      this.sawChoices = false;
      const r = scanChunk(buf, start, start, end, this);
      if ((r === ScanResult.Token || r === ScanResult.Empty) && this.sawChoices) {
        this.bodyHasToken = r === ScanResult.Token;
        return true;
      }
      // The full parse decides from a clean slate (as the native path, which commits nothing).
      this.finishReason = '';
      this.promptTokens = -1;
      this.completionTokens = -1;
      this.cachedTokens = -1;
    }
    return this.applyJsonBody(buf.toString('utf8', start, end));
  }

  /** Interpret a whole non-streaming JSON body. Returns false (with errorMessage set) when it is not an OpenAI response. */
  applyJsonBody(body: string): boolean {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      this.errorMessage = `response body is not JSON: ${excerpt(body)}`;
      return false;
    }
    if (typeof parsed !== 'object' || parsed === null) {
      this.errorMessage = `response body is not a JSON object: ${excerpt(body)}`;
      return false;
    }
    const obj = parsed as { choices?: unknown; usage?: unknown; error?: unknown };
    if (obj.error !== undefined && obj.error !== null) {
      this.errorMessage = `server error: ${excerpt(describeError(obj.error))}`;
      return false;
    }
    if (!Array.isArray(obj.choices)) {
      this.errorMessage = `response has no "choices" array: ${excerpt(body)}`;
      return false;
    }
    this.applyUsage(obj.usage);
    const choice = (obj.choices[0] ?? {}) as ChoiceLike;
    if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
    const m = choice.message;
    this.bodyHasToken =
      nonEmptyString(choice.text) ||
      (m !== undefined &&
        m !== null &&
        (nonEmptyString(m.content) ||
          nonEmptyString(m.reasoning_content) ||
          nonEmptyString(m.reasoning) ||
          nonEmptyArray(m.tool_calls)));
    if (this.captureText) {
      const content = choice.message?.content ?? choice.text;
      if (typeof content === 'string') this.text = content;
    }
    return true;
  }

  private applyUsage(usage: unknown): void {
    if (typeof usage !== 'object' || usage === null) return;
    const u = usage as UsageLike;
    if (typeof u.prompt_tokens === 'number') this.promptTokens = u.prompt_tokens;
    if (typeof u.completion_tokens === 'number') this.completionTokens = u.completion_tokens;
    const cached = u.prompt_tokens_details?.cached_tokens;
    if (typeof cached === 'number') this.cachedTokens = cached;
  }
}

function nonEmptyString(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0;
}

function nonEmptyArray(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0;
}

function describeError(err: unknown): string {
  if (typeof err === 'string') return err;
  if (typeof err === 'object' && err !== null) {
    const m = (err as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  }
  return JSON.stringify(err);
}
