/**
 * Plays out one mock generation on an HTTP response: streamed as SSE on the token schedule, or as
 * one JSON body once the whole generation would have finished. Also injects the faults that
 * happen inside a generation (reset, malformed output).
 */

import type { ServerResponse } from 'node:http';
import type { CompletionRequest } from './completion-request.js';
import { isGone, sendBody, sendJson } from './http-io.js';
import { tokenText } from './mock-tokens.js';
import {
  MALFORMED_JSON_BODY,
  MALFORMED_SSE_EVENT,
  SSE_DONE,
  StreamEncoder,
  completionResponse,
  usage,
  type ResponseIdentity,
} from './openai-wire.js';
import { TokenPacer } from './token-pacer.js';

export interface GenerationTiming {
  /** Delay before the first token, ms. */
  ttftMs: number;
  /** Delay between tokens, ms. */
  itlMs: number;
}

/** Faults that change a generation; the others are answered before one starts. */
export type GenerationFault = 'none' | 'reset' | 'malformed-sse';

export interface Generation {
  request: CompletionRequest;
  identity: ResponseIdentity;
  timing: GenerationTiming;
  fault: GenerationFault;
  /** performance.now() when the request body was complete: every deadline counts from here. */
  startedAtMs: number;
}

/** Events per write when many tokens are due at once (itl 0, or a late timer). */
const MAX_EVENTS_PER_WRITE = 256;

/** Starts the generation; returns a cancel function (stops timers; safe to call at any time). */
export function startGeneration(res: ServerResponse, generation: Generation): () => void {
  return generation.request.stream ? stream(res, generation) : answerWhole(res, generation);
}

function stream(res: ServerResponse, g: Generation): () => void {
  const { request, timing, fault } = g;
  const encoder = new StreamEncoder(request.api, g.identity);
  const total = request.outputTokens;
  // A reset cuts the stream after about half the tokens (at least one, so data was seen).
  const stopAfter = fault === 'reset' ? Math.max(1, Math.floor(total / 2)) : total;

  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  // Headers go out now, like a real server accepting the request; tokens follow on schedule.
  res.flushHeaders();

  const pacer = new TokenPacer({
    count: stopAfter,
    firstAtMs: g.startedAtMs + timing.ttftMs,
    intervalMs: timing.itlMs,
    maxBatch: MAX_EVENTS_PER_WRITE,
    emit: (from, to) => {
      if (isGone(res)) {
        pacer.cancel();
        return false;
      }
      let events = '';
      for (let k = from; k < to; k++) {
        if (k === 0 && request.api === 'chat') events += encoder.role();
        events += encoder.token(request.answerTokens?.[k] ?? tokenText(k));
        if (k === 0 && fault === 'malformed-sse') events += MALFORMED_SSE_EVENT;
      }
      if (to === stopAfter && fault === 'reset') {
        // Destroy only once the data is flushed: res.write corks until the next tick.
        res.write(events, () => res.socket?.destroy());
        return false;
      }
      if (to === total) {
        // Trailing events are due with the last token: one write, then end.
        events += encoder.finish(request.finishReason);
        if (request.includeUsage) events += encoder.usage(usage(request.promptTokens, total));
        res.end(events + SSE_DONE);
        return false;
      }
      return res.write(events);
    },
  });
  const onDrain = (): void => pacer.resume();
  res.on('drain', onDrain);
  pacer.start();
  return () => {
    pacer.cancel();
    res.off('drain', onDrain);
  };
}

function answerWhole(res: ServerResponse, g: Generation): () => void {
  const { request, timing, fault } = g;
  if (fault === 'reset') {
    res.socket?.destroy();
    return () => {};
  }
  const total = request.outputTokens;
  // One "token" due when the whole generation would have finished.
  const pacer = new TokenPacer({
    count: 1,
    firstAtMs: g.startedAtMs + timing.ttftMs + (total - 1) * timing.itlMs,
    intervalMs: 0,
    maxBatch: 1,
    emit: () => {
      if (fault === 'malformed-sse') {
        sendBody(res, 200, 'application/json', MALFORMED_JSON_BODY);
        return false;
      }
      let text = '';
      for (let k = 0; k < total; k++) text += request.answerTokens?.[k] ?? tokenText(k);
      const body = completionResponse(
        request.api,
        g.identity,
        text,
        request.finishReason,
        usage(request.promptTokens, total),
      );
      sendJson(res, 200, body);
      return false;
    },
  });
  pacer.start();
  return () => pacer.cancel();
}
