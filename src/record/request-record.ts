/**
 * The request record: the contract every metric is computed from (see ARCHITECTURE.md).
 *
 * Times are absolute nanoseconds on the shared monotonic clock (metrics/clock.ts); NaN means the
 * request never reached that point. All timestamps are taken in the shard that owns the socket.
 */

/** Stable codes for the one outcome a failed request ends with. */
export const RequestErrorCode = {
  connectRefused: 'connect_refused',
  connectFailed: 'connect_failed',
  connectionReset: 'connection_reset',
  httpStatus: 'http_status',
  malformedSse: 'malformed_sse',
  /** The server sent an error object inside a 200 stream. */
  streamError: 'stream_error',
  malformedResponse: 'malformed_response',
  timeout: 'timeout',
  cancelled: 'cancelled',
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
  inputTokens: number;
  outputTokens: number;
  tokenSource: TokenCountSource;
  /** Generated text, only kept when the caller asked for it (probe previews). */
  text?: string;
}

export function isSuccess(r: RequestRecord): boolean {
  return r.error === '';
}
