/**
 * The request record: the contract every metric is computed from (see ARCHITECTURE.md).
 *
 * Times are absolute nanoseconds on the shared monotonic clock (metrics/clock.ts); NaN means the
 * request never reached that point. All timestamps are taken in the shard that owns the socket.
 */

/** Stable codes for the one outcome a failed request ends with. */
export const RequestErrorCode = {
  /** Nobody listens at the endpoint's address: start the server, or fix --endpoints. */
  connectRefused: 'connect_refused',
  /** The connect failed otherwise (no route, DNS, TLS handshake, --connect-timeout). */
  connectFailed: 'connect_failed',
  /** The server closed or reset the connection before the response was complete. */
  connectionReset: 'connection_reset',
  /** The server answered with a non-2xx status (the message has the status and a body excerpt). */
  httpStatus: 'http_status',
  /** A 2xx SSE stream had an event that is not valid JSON in the OpenAI shape. */
  malformedSse: 'malformed_sse',
  /** The server sent an error object inside a 200 stream. */
  streamError: 'stream_error',
  /** The answer is not valid HTTP/1.1, or a 2xx body is not an OpenAI answer. */
  malformedResponse: 'malformed_response',
  /** A 2xx answer with no token and no finish reason (an empty stream, `"choices": []`). */
  emptyResponse: 'empty_response',
  /** The server compressed the answer with an encoding the client cannot decode. */
  unsupportedContentEncoding: 'unsupported_content_encoding',
  /** A response body larger than the client's cap: it cannot be an answer worth measuring. */
  responseTooLarge: 'response_too_large',
  /** One SSE event (line) larger than the client's cap. */
  eventTooLarge: 'event_too_large',
  /** No complete response within --request-timeout. */
  timeout: 'timeout',
  /** Cancelled by the user (Ctrl-C) or because the run failed. */
  cancelled: 'cancelled',
  /** Still in flight when the run's drain time ran out after the sending window. */
  cancelledAtEnd: 'cancelled_at_end',
} as const;
export type RequestErrorCode = (typeof RequestErrorCode)[keyof typeof RequestErrorCode];

/** Where the output-token count came from. */
export type TokenCountSource = 'usage' | 'chunks' | 'none';

export interface RequestRecord {
  /** Unique per run: the shard's issue sequence number × shard count + shard index. */
  id: number;
  /** Row of the dataset this request was built from. */
  sampleIndex: number;
  shard: number;
  /** Index into the run's endpoint list. */
  endpoint: number;
  /** Local address the connection was bound to; '' when the OS chose. */
  sourceIp: string;
  streaming: boolean;
  /** True when the request went out on a connection that had carried an earlier request. */
  reused: boolean;

  /** When the schedule wanted the request sent. */
  scheduled: number;
  /** When the shard took it from the schedule. */
  dispatched: number;
  /**
   * When this request started waiting for a new connection's connect (connect() called, or this
   * request's dispatch if that connect was already under way); NaN when it took a connection that
   * was already open. connected − connectStart is the connect (and TLS) time the request paid.
   */
  connectStart: number;
  /** When a connection was in hand. */
  connected: number;
  /** Just before the request bytes were written to the socket (one write per request). */
  sent: number;
  /** When the socket read carrying the response head arrived (taken before parsing). */
  headers: number;
  /** When the first SSE event arrived (streaming only). */
  firstChunk: number;
  /** When the first content, reasoning or tool-call delta arrived (streaming), or the body (non-streaming). */
  firstToken: number;
  /** When the response ended (or the request failed). */
  end: number;
  /**
   * Arrival time of every token-bearing chunk, in order (streaming only). Inside a shard these
   * travel beside the record (RequestExchange.arrivals) until it is packed; every record
   * the run sees has them here.
   */
  chunkTimes: Float64Array;

  /** HTTP status; 0 when no response arrived. */
  status: number;
  /** '' on success. */
  error: RequestErrorCode | '';
  /** A short, secret-free explanation (and a body excerpt for non-2xx). */
  errorMessage: string;
  finishReason: string;
  /** usage.prompt_tokens; -1 = the server sent none (unmeasured, never 0: see metrics/token-counts.ts). */
  inputTokens: number;
  /** Meaningful only when tokenSource is not 'none' (then 0). */
  outputTokens: number;
  /** Prompt tokens the server says it served from its prompt cache (usage.prompt_tokens_details.cached_tokens); -1 = not reported. */
  cachedTokens: number;
  /** Times the request was sent again because the server cannot have seen it (the write hit a connection it had closed). */
  retries: number;
  tokenSource: TokenCountSource;
  /** --multi-turn: the run-unique session (conversation) this request is a turn of; -1 or absent otherwise. */
  conversation?: number;
  /** --multi-turn: the 1-based turn within its conversation; 0 or absent otherwise. */
  turn?: number;
  /** Generated text, only kept when the caller asked for it (probe previews). */
  text?: string;
}

/** True for a time the request never reached (NaN). */
export function unset(t: number): boolean {
  return t !== t;
}
