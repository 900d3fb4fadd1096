/**
 * One request from schedule to record: waits for a connection, writes the request, reads the
 * response (SSE decoded as bytes arrive), and fills in the request record. A plain object with
 * methods, not a chain of promises and closures: this runs once per request on the hot path.
 */
import { SseDecoder, SseFailure, type SseEventSink } from '../api/sse-decoder.js';
import { OpenAiResponseState, StreamEventKind } from '../api/openai-response-decoder.js';
import { excerpt } from '../record/redact-secrets.js';
import type { BufferBudget } from '../api/buffer-budget.js';
import { ByteAccumulator } from '../api/byte-accumulator.js';
import { decodableEncoding, decodeBody, errorBodyText } from '../api/content-encoding.js';
import { monotonicNs } from '../record/clock.js';
import { appendArrivals, type ArrivalList } from '../record/record-batch.js';
import { RequestErrorCode, type RequestRecord } from '../record/request-record.js';
import type { ConnectionPool, PoolWaiter } from './connection-pool.js';
import type { ConnectionUser, Http1Connection } from './http1-connection.js';
import type { HttpParseError, ResponseHead } from './http1-response-parser.js';
import { tlsAdvice } from './tls-trust.js';
import type { ListNode } from './exchange-list.js';

export interface ExchangeContext {
  pool: ConnectionPool;
  /** Human name of the endpoint for error messages (no credentials). */
  endpointName: string;
  captureText: boolean;
  /** --max-event-bytes: one SSE line or event's data. */
  maxEventBytes: number;
  /** --max-response-bytes: one non-streaming body (compressed and decoded). */
  maxResponseBytes: number;
  /** The shard's bound on partial-response bytes held by all its requests together. */
  budget: BufferBudget;
  onFinished(exchange: RequestExchange): void;
  /** The request is about to be written (record.sent is set): its --request-timeout starts. */
  onSent?(exchange: RequestExchange): void;
}

const enum BodyMode {
  None,
  Sse,
  Json,
  ErrorBody,
}

/**
 * A request whose bytes the socket refused is sent again at most this often (a server that resets
 * every connection at once must end in a failure, not a loop).
 */
const MAX_WRITE_RETRIES = 3;
const EMPTY = Buffer.alloc(0);

/** Keep at most this much of a non-2xx body for the error message. */
const ERROR_BODY_LIMIT = 2048;

export class RequestExchange implements PoolWaiter, ConnectionUser, SseEventSink, ListNode<RequestExchange> {
  readonly record: RequestRecord;
  private conn: Http1Connection | null = null;
  private finished = false;
  private mode = BodyMode.None;
  private sse: SseDecoder | null = null;
  private readonly state: OpenAiResponseState;
  /**
   * Token-chunk arrivals (an ArrivalList: compact when events share a read). Packed into the
   * record batch when the request finishes; the record's own chunkTimes stays empty in the shard.
   */
  readonly arrivals: ArrivalList = [];
  /** An error body's kept copies (null until one arrives). */
  private bodyParts: Buffer[] | null = null;
  private bodyBytes = 0;
  /**
   * A JSON body that arrived whole in one read: a view of the shared read buffer by offsets, not a
   * subarray in an array (~250 B of young-generation allocation per request at 5,000 req/s, of ~2 KB).
   */
  private wholeBody: Buffer | null = null;
  private wholeStart = 0;
  private wholeEnd = 0;
  /** A JSON body that arrived in several reads (null until one does). */
  private body: ByteAccumulator | null = null;
  /** The response's Content-Encoding ('' = identity). */
  private encoding = '';
  /** Arrival time of the socket read being decoded (taken at the read, before parsing): every event in one read shares it. */
  private arrival = 0;
  private pendingError: RequestErrorCode | '' = '';
  /** Retry-After of a 429/503 answer, for its error message. */
  private retryAfter = '';
  /** Absolute ns after which the request is abandoned (set and enforced by the shard: sent + --request-timeout). */
  deadline = Infinity;
  // The shard's two lists of exchanges (exchange-list.ts): links on the exchange, nothing allocated.
  prev0: RequestExchange | null = null;
  next0: RequestExchange | null = null;
  listed0 = false;
  prev1: RequestExchange | null = null;
  next1: RequestExchange | null = null;
  listed1 = false;

  constructor(
    private readonly ctx: ExchangeContext,
    /** The whole request: head and body. */
    private readonly request: Buffer,
    record: RequestRecord,
  ) {
    this.record = record;
    this.state = new OpenAiResponseState(ctx.captureText);
    this.onSseBatch = ctx.captureText ? undefined : this.applySseBatch;
  }

  start(): void {
    this.ctx.pool.acquire(this);
  }

  // --- PoolWaiter ---

  onConnection(conn: Http1Connection, fromIdle: boolean): void {
    if (this.finished) {
      this.ctx.pool.release(conn);
      return;
    }
    const r = this.record;
    r.connected = monotonicNs();
    // Reused = it carried an earlier request (a warmed-up connection's first request is not).
    r.reused = conn.requests > 0;
    // A connection opened for the queue: this request waited for its connect — from the connect's
    // start, or from its own dispatch when the connect was already under way for a waiter that
    // then got a released connection (so connected − connectStart never counts queueing twice).
    r.connectStart = fromIdle ? NaN : Math.max(conn.connectStartNs, r.dispatched);
    r.sourceIp = conn.sourceIp;
    this.conn = conn;
    // Taken just before the write: on loopback the write syscall itself delivers the bytes, and a
    // server on the other core can start its clock before write() returns here.
    r.sent = monotonicNs();
    this.ctx.onSent?.(this);
    conn.send(this, this.request);
  }

  onConnectFailure(code: string, message: string): void {
    if (code === 'ECONNREFUSED') {
      this.fail(
        RequestErrorCode.connectRefused,
        `connection refused by ${this.ctx.endpointName}: is the server running and listening there?`,
      );
    } else if (code === 'ECANCELED') {
      this.fail(RequestErrorCode.cancelled, 'cancelled before a connection was available');
    } else {
      const advice = tlsAdvice(code);
      this.fail(
        RequestErrorCode.connectFailed,
        `could not connect to ${this.ctx.endpointName}: ${code} ${message}${advice === '' ? '' : `: ${advice}`}`,
      );
    }
  }

  // --- ResponseSink (via ConnectionUser) ---

  onResponseHead(status: number, head: ResponseHead): void {
    if (this.finished) return;
    const r = this.record;
    r.headers = this.conn!.readNs;
    r.status = status;
    this.encoding = head.contentEncoding;
    if (status < 200 || status >= 300) {
      this.mode = BodyMode.ErrorBody;
      this.retryAfter = head.retryAfter;
    } else if (head.contentType === 'text/event-stream') {
      // The request says `Accept-Encoding: identity`; a compressed stream is refused, not decoded:
      // its events would arrive when the compressor flushes, so their times are not the server's.
      if (this.encoding !== '') {
        this.refuse(
          RequestErrorCode.unsupportedContentEncoding,
          `${this.ctx.endpointName} compressed the event stream (Content-Encoding: ${excerpt(this.encoding, 40)}) ` +
            'although the request asked for identity: turn compression off for text/event-stream in the server or proxy',
        );
        return;
      }
      this.mode = BodyMode.Sse;
      this.sse = new SseDecoder(this, this.ctx.maxEventBytes, this.ctx.budget);
    } else {
      // Non-streaming, or a server that ignored `stream: true` and answered with JSON.
      if (this.encoding !== '' && !decodableEncoding(this.encoding)) {
        this.refuse(
          RequestErrorCode.unsupportedContentEncoding,
          `${this.ctx.endpointName} answered with Content-Encoding: ${excerpt(this.encoding, 40)}, which llm-loadgen ` +
            'cannot decode (it decodes gzip, deflate and br): turn compression off in the server or proxy',
        );
        return;
      }
      if (head.contentLength > this.ctx.maxResponseBytes) {
        this.refuse(RequestErrorCode.responseTooLarge, this.tooLargeMessage(head.contentLength));
        return;
      }
      this.mode = BodyMode.Json;
    }
  }

  onResponseBody(buf: Buffer, start: number, end: number): void {
    if (this.finished) return;
    switch (this.mode) {
      case BodyMode.Sse:
        this.arrival = this.conn!.readNs;
        if (!this.sse!.write(buf, start, end)) this.refuseSse();
        break;
      case BodyMode.Json:
        if (this.bodyBytes === 0) {
          this.record.firstToken = this.conn!.readNs;
          if (end - start === this.conn!.parser.head.contentLength) {
            // The whole body in this read: it is decoded before this read returns, so a view
            // into the shared read buffer is safe (no copy).
            this.wholeBody = buf;
            this.wholeStart = start;
            this.wholeEnd = end;
            this.bodyBytes = end - start;
            break;
          }
        }
        this.collectBody(buf, start, end);
        break;
      case BodyMode.ErrorBody:
        this.keepBody(buf, start, end, ERROR_BODY_LIMIT);
        // An error body that never ends: its excerpt is in hand, the rest is not read.
        if (this.bodyBytes > this.ctx.maxResponseBytes) {
          const conn = this.conn!;
          this.conn = null;
          conn.user = null;
          conn.destroy();
          this.completeErrorBody(conn.readNs);
        }
        break;
      default:
        break;
    }
  }

  onResponseComplete(): void {
    if (this.finished) return;
    // The arrival of the read that completed the response.
    const end = this.conn !== null && this.conn.user === this ? this.conn.readNs : monotonicNs();
    const r = this.record;
    const st = this.state;
    if (this.mode === BodyMode.Sse) this.sse!.end();
    if (this.mode === BodyMode.ErrorBody) {
      this.completeErrorBody(end);
      return;
    }
    if (this.mode === BodyMode.Json) {
      let body: Buffer = EMPTY;
      let start = 0;
      let stop = 0;
      if (this.body !== null) {
        body = this.body.buf;
        stop = this.body.length;
      } else if (this.wholeBody !== null) {
        body = this.wholeBody;
        start = this.wholeStart;
        stop = this.wholeEnd;
      }
      if (this.encoding !== '') {
        const decoded = decodeBody(body.subarray(start, stop), this.encoding, this.ctx.maxResponseBytes);
        if (decoded === null) {
          this.complete(end, RequestErrorCode.responseTooLarge, this.tooLargeMessage(-1));
          return;
        }
        if (typeof decoded === 'string') {
          this.complete(end, RequestErrorCode.malformedResponse, `${this.ctx.endpointName}: ${decoded}`);
          return;
        }
        body = decoded;
        start = 0;
        stop = decoded.length;
      }
      if (!st.applyJsonBodyBytes(body, start, stop)) {
        this.complete(end, RequestErrorCode.malformedResponse, st.errorMessage);
        return;
      }
    }
    r.finishReason = st.finishReason;
    r.inputTokens = st.promptTokens; // -1: the server sent none (never 0: see metrics/token-counts.ts)
    r.cachedTokens = st.cachedTokens;
    if (st.completionTokens >= 0) {
      r.outputTokens = st.completionTokens;
      r.tokenSource = 'usage';
    } else if (this.mode === BodyMode.Sse) {
      r.outputTokens = st.tokenEvents;
      r.tokenSource = 'chunks';
    }
    if (st.captureText) r.text = st.text;
    if (this.pendingError !== '') this.complete(end, this.pendingError, st.errorMessage);
    else if (st.finishReason === '' && (this.mode === BodyMode.Sse ? this.arrivals.length === 0 : !st.bodyHasToken))
      // Nothing generated and no reason given: a 200 that answered nothing is not a success.
      // (A finish reason with no token — max_tokens 0, an immediate stop — is a real answer.)
      this.complete(
        end,
        RequestErrorCode.emptyResponse,
        `${this.ctx.endpointName} answered 200 with no token and no finish reason` +
          (this.mode === BodyMode.Sse ? ' (an empty event stream)' : ' (no content in "choices")'),
      );
    else this.complete(end, '', '');
  }

  // --- SseEventSink ---

  onSseEvent(event: string, buf: Buffer, start: number, end: number): void {
    const kind = this.state.applyStreamEventBytes(event, buf, start, end);
    this.noteArrivals(this.state.eventTokens);
    if (kind === StreamEventKind.Malformed) {
      if (this.pendingError === '') this.pendingError = RequestErrorCode.malformedSse;
    } else if (kind === StreamEventKind.ServerError) {
      if (this.pendingError === '') this.pendingError = RequestErrorCode.streamError;
    }
  }

  /**
   * A run of clean events from one read, scanned natively: all share the read's arrival time.
   * Undefined when the text is kept (probe): then every event goes through onSseEvent.
   */
  readonly onSseBatch: ((buf: Buffer, out: Int32Array) => void) | undefined;

  get completionCount(): number {
    return this.state.completionTokens;
  }

  private applySseBatch(buf: Buffer, out: Int32Array): void {
    this.state.applyStreamBatch(buf, out);
    this.noteArrivals(this.state.eventTokens);
  }

  /** Events arrived with the current read, `tokens` of them token-bearing. */
  private noteArrivals(tokens: number): void {
    const r = this.record;
    const at = this.arrival;
    if (r.firstChunk !== r.firstChunk) r.firstChunk = at; // NaN check
    if (tokens > 0) {
      if (r.firstToken !== r.firstToken) r.firstToken = at;
      appendArrivals(this.arrivals, at, tokens);
    }
  }

  // --- ConnectionUser ---

  onConnectionLost(error: Error | null, responseBytes: number): void {
    if (this.finished) return;
    const conn = this.conn;
    this.conn = null;
    const r = this.record;
    const err = error as NodeJS.ErrnoException | null;
    // Sent again only when the server cannot have seen the request: the socket refused its bytes
    // (EPIPE / ECONNRESET from the write: the connection was already reset), as undici re-dispatches
    // only requests it could not write. A request written whole and then lost is a failure, even
    // right after the write: the server may have read it (a server that resets every 3rd request
    // reads it first), and a silent resend would hide the attempt the server saw.
    if (responseBytes === 0 && err !== null && err.syscall === 'write' && r.retries < MAX_WRITE_RETRIES) {
      r.retries++;
      this.ctx.pool.stats.retries++;
      if (conn !== null && conn.requests > 1) this.ctx.pool.noteServerClose(conn);
      r.connectStart = NaN;
      r.connected = NaN;
      r.sent = NaN;
      r.reused = false;
      r.sourceIp = '';
      this.ctx.pool.acquire(this);
      return;
    }
    const reused = conn !== null && conn.requests > 1;
    if (responseBytes === 0 && reused) this.ctx.pool.noteStaleClose(conn);
    const what =
      responseBytes > 0
        ? 'in the middle of the response'
        : reused
          ? 'it had kept alive, just after this request was written and before answering (the server may have read it, so it was not sent again)'
          : 'before any response';
    const detail = err !== null ? ` (${err.code ?? err.message})` : '';
    this.fail(RequestErrorCode.connectionReset, `${this.ctx.endpointName} closed the connection ${what}${detail}`);
  }

  onProtocolError(error: HttpParseError): void {
    if (this.finished) return;
    this.conn = null;
    this.fail(
      RequestErrorCode.malformedResponse,
      `${this.ctx.endpointName} did not answer with valid HTTP/1.1: ${error.message}`,
    );
  }

  // --- ending ---

  /** Abandon the request (Ctrl-C or timeout). */
  abort(code: RequestErrorCode, message: string): void {
    if (this.finished) return;
    const conn = this.conn;
    this.conn = null;
    if (conn !== null) {
      conn.user = null;
      conn.destroy();
    } else {
      this.ctx.pool.withdraw(this);
    }
    this.fail(code, message);
  }

  private completeErrorBody(end: number): void {
    const body = errorBodyText(Buffer.concat(this.bodyParts ?? []), this.encoding);
    this.complete(
      end,
      RequestErrorCode.httpStatus,
      `HTTP ${this.record.status} from ${this.ctx.endpointName}${this.retryAfter === '' ? '' : ` (Retry-After: ${this.retryAfter})`}: ${excerpt(body) || '(empty body)'}`,
    );
  }

  /** End the request now and drop the connection (the rest of the answer is not read). */
  private refuse(code: RequestErrorCode, message: string): void {
    const conn = this.conn;
    this.conn = null;
    if (conn !== null) {
      conn.user = null;
      conn.destroy();
    }
    this.fail(code, message);
  }

  private refuseSse(): void {
    if (this.sse!.failure === SseFailure.EventTooLarge) {
      this.refuse(
        RequestErrorCode.eventTooLarge,
        `${this.ctx.endpointName} sent an SSE line or event larger than --max-event-bytes ${this.ctx.maxEventBytes}`,
      );
    } else {
      this.refuse(RequestErrorCode.responseTooLarge, this.budgetMessage());
    }
  }

  private tooLargeMessage(length: number): string {
    const size = length >= 0 ? ` (Content-Length ${length})` : '';
    return `${this.ctx.endpointName} sent a response body larger than --max-response-bytes ${this.ctx.maxResponseBytes}${size}`;
  }

  private budgetMessage(): string {
    return (
      `the shard already holds ${this.ctx.budget.limit} bytes of partial responses (8 × --max-response-bytes), ` +
      'shared by all its requests: the server sends answers far larger than real ones'
    );
  }

  /** Collect a JSON body that arrives in pieces: geometric growth, capped, charged to the shard budget. */
  private collectBody(buf: Buffer, start: number, end: number): void {
    let body = this.body;
    if (body === null) {
      body = this.body = new ByteAccumulator(this.ctx.budget);
      const known = this.conn!.parser.head.contentLength;
      if (known > 0 && !body.reserve(known)) {
        this.refuse(RequestErrorCode.responseTooLarge, this.budgetMessage());
        return;
      }
    }
    this.bodyBytes += end - start;
    if (this.bodyBytes > this.ctx.maxResponseBytes) {
      this.refuse(RequestErrorCode.responseTooLarge, this.tooLargeMessage(-1));
      return;
    }
    if (!body.append(buf, start, end)) this.refuse(RequestErrorCode.responseTooLarge, this.budgetMessage());
  }

  private keepBody(buf: Buffer, start: number, end: number, limit: number): void {
    const room = limit - this.bodyBytes;
    // A copy: the read buffer is reused by the next read (client/http1-connection.ts).
    if (room > 0) (this.bodyParts ??= []).push(Buffer.from(buf.subarray(start, start + Math.min(room, end - start))));
    this.bodyBytes += end - start;
  }

  private fail(code: RequestErrorCode, message: string): void {
    this.complete(monotonicNs(), code, message);
  }

  private complete(end: number, code: RequestErrorCode | '', message: string): void {
    if (this.finished) return;
    this.finished = true;
    const r = this.record;
    r.end = end;
    r.error = code;
    r.errorMessage = message;
    this.bodyParts = null;
    this.wholeBody = null;
    this.body?.release();
    this.body = null;
    this.sse?.dispose();
    const conn = this.conn;
    this.conn = null;
    if (conn !== null) {
      if (code === RequestErrorCode.malformedResponse) conn.distrust();
      this.ctx.pool.release(conn);
    }
    this.ctx.onFinished(this);
  }
}
