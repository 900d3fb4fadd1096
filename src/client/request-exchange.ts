/**
 * One request from schedule to record: waits for a connection, writes the request, reads the
 * response (SSE decoded as bytes arrive), and fills in the request record. A plain object with
 * methods, not a chain of promises and closures: this runs once per request on the hot path.
 */
import { SSE_BATCH_TOKENS, SseDecoder, type SseEventSink } from '../api/sse-decoder.js';
import { OpenAiResponseState, StreamEventKind } from '../api/openai-response-decoder.js';
import { excerpt } from '../record/redact-secrets.js';
import { monotonicNs } from '../record/clock.js';
import { appendArrivals, type ArrivalList } from '../record/record-batch.js';
import { RequestErrorCode, type RequestRecord } from '../record/request-record.js';
import type { ConnectionPool, PoolWaiter } from './connection-pool.js';
import type { ConnectionUser, Http1Connection } from './http1-connection.js';
import type { HttpParseError, ResponseHead } from './http1-response-parser.js';

export interface ExchangeContext {
  pool: ConnectionPool;
  /** Human name of the endpoint for error messages (no credentials). */
  endpointName: string;
  captureText: boolean;
  onFinished(exchange: RequestExchange): void;
}

const enum BodyMode {
  None,
  Sse,
  Json,
  ErrorBody,
}

/** A connection lost this soon after the write, with no response byte, was stale: retry. */
const STALE_RETRY_WINDOW_NS = 1e9;

/** Keep at most this much of a non-2xx body for the error message. */
const ERROR_BODY_LIMIT = 2048;
/** A non-streaming response larger than this is not decoded (it cannot be an OpenAI answer we need). */
const JSON_BODY_LIMIT = 64 * 1024 * 1024;

export class RequestExchange implements PoolWaiter, ConnectionUser, SseEventSink {
  readonly record: RequestRecord;
  private conn: Http1Connection | null = null;
  private finished = false;
  /** The connection was open before this request took it: it may have gone stale while idle. */
  private fromIdle = false;
  private mode = BodyMode.None;
  private sse: SseDecoder | null = null;
  private readonly state: OpenAiResponseState;
  /**
   * Token-chunk arrivals (an ArrivalList: compact when events share a read). Packed into the
   * record batch when the request finishes; the record's own chunkTimes stays empty in the shard.
   */
  readonly arrivals: ArrivalList = [];
  private bodyParts: Buffer[] = [];
  private bodyBytes = 0;
  /** Arrival time of the socket read being decoded (taken at the read, before parsing): every event in one read shares it. */
  private arrival = 0;
  private pendingError: RequestErrorCode | '' = '';
  /** Retry-After of a 429/503 answer, for its error message. */
  private retryAfter = '';
  /** Absolute ns after which the request is abandoned (checked by the shard's sweep). */
  deadline = Infinity;

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

  get isFinished(): boolean {
    return this.finished;
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
    // A connection opened for the queue's head: this request paid its connect.
    r.connectStart = fromIdle ? NaN : conn.connectStartNs;
    this.fromIdle = fromIdle;
    r.sourceIp = conn.sourceIp;
    this.conn = conn;
    // Taken just before the write: on loopback the write syscall itself delivers the bytes, and a
    // server on the other core can start its clock before write() returns here.
    r.sent = monotonicNs();
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
      this.fail(RequestErrorCode.connectFailed, `could not connect to ${this.ctx.endpointName}: ${code} ${message}`);
    }
  }

  // --- ResponseSink (via ConnectionUser) ---

  onResponseHead(status: number, head: ResponseHead): void {
    if (this.finished) return;
    const r = this.record;
    r.headers = this.conn!.readNs;
    r.status = status;
    if (status < 200 || status >= 300) {
      this.mode = BodyMode.ErrorBody;
      this.retryAfter = head.retryAfter;
    } else if (head.contentType === 'text/event-stream') {
      this.mode = BodyMode.Sse;
      this.sse = new SseDecoder(this);
    } else {
      // Non-streaming, or a server that ignored `stream: true` and answered with JSON.
      this.mode = BodyMode.Json;
    }
  }

  onResponseBody(buf: Buffer, start: number, end: number): void {
    if (this.finished) return;
    switch (this.mode) {
      case BodyMode.Sse:
        this.arrival = this.conn!.readNs;
        this.sse!.write(buf, start, end);
        break;
      case BodyMode.Json:
        if (this.bodyBytes === 0) {
          this.record.firstToken = this.conn!.readNs;
          if (end - start === this.conn!.parser.head.contentLength) {
            // The whole body in this read: it is decoded before this read returns, so a view
            // into the shared read buffer is safe (no copy).
            this.bodyParts.push(buf.subarray(start, end));
            this.bodyBytes = end - start;
            break;
          }
        }
        this.keepBody(buf, start, end, JSON_BODY_LIMIT);
        break;
      case BodyMode.ErrorBody:
        this.keepBody(buf, start, end, ERROR_BODY_LIMIT);
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
      const body = Buffer.concat(this.bodyParts).toString('utf8');
      this.complete(
        end,
        RequestErrorCode.httpStatus,
        `HTTP ${r.status} from ${this.ctx.endpointName}${this.retryAfter === '' ? '' : ` (Retry-After: ${this.retryAfter})`}: ${excerpt(body) || '(empty body)'}`,
      );
      return;
    }
    if (this.mode === BodyMode.Json) {
      if (this.bodyBytes > JSON_BODY_LIMIT) {
        this.complete(end, RequestErrorCode.malformedResponse, `response body larger than ${JSON_BODY_LIMIT} bytes`);
        return;
      }
      const body = this.bodyParts.length === 1 ? this.bodyParts[0] : Buffer.concat(this.bodyParts);
      if (!st.applyJsonBodyBytes(body, 0, body.length)) {
        this.complete(end, RequestErrorCode.malformedResponse, st.errorMessage);
        return;
      }
    }
    r.finishReason = st.finishReason;
    r.inputTokens = st.promptTokens >= 0 ? st.promptTokens : 0;
    if (st.completionTokens >= 0) {
      r.outputTokens = st.completionTokens;
      r.tokenSource = 'usage';
    } else if (this.mode === BodyMode.Sse) {
      r.outputTokens = st.tokenEvents;
      r.tokenSource = 'chunks';
    }
    if (st.captureText) r.text = st.text;
    if (this.pendingError !== '') this.complete(end, this.pendingError, st.errorMessage);
    else this.complete(end, '', '');
  }

  // --- SseEventSink ---

  onSseEvent(event: string, buf: Buffer, start: number, end: number): void {
    const kind = this.state.applyStreamEventBytes(event, buf, start, end);
    this.noteArrivals(kind === StreamEventKind.Token ? 1 : 0);
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

  private applySseBatch(buf: Buffer, out: Int32Array): void {
    this.noteArrivals(out[SSE_BATCH_TOKENS]);
    this.state.applyStreamBatch(buf, out);
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
    // An idle connection the server closed just as we took it: nothing was answered, so send
    // again (the standard idempotency-safe case) — but only when the close came right after the
    // write, so a server that dies mid-prefill is a failure, not a silent resend. Not limited to
    // one retry: the retry can be handed another idle connection that is just as stale. It ends
    // because a fresh connection is never retried and every retry consumes one stale connection.
    if (
      responseBytes === 0 &&
      this.fromIdle &&
      conn !== null &&
      monotonicNs() - this.record.sent < STALE_RETRY_WINDOW_NS
    ) {
      const r = this.record;
      r.connected = NaN;
      r.sent = NaN;
      this.ctx.pool.acquire(this);
      return;
    }
    const what = responseBytes === 0 ? 'before any response' : 'in the middle of the response';
    const detail = error !== null ? ` (${(error as NodeJS.ErrnoException).code ?? error.message})` : '';
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

  private keepBody(buf: Buffer, start: number, end: number, limit: number): void {
    const room = limit - this.bodyBytes;
    // A copy: the read buffer is reused by the next read (client/http1-connection.ts).
    if (room > 0) this.bodyParts.push(Buffer.from(buf.subarray(start, start + Math.min(room, end - start))));
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
    this.bodyParts = [];
    const conn = this.conn;
    this.conn = null;
    if (conn !== null) this.ctx.pool.release(conn);
    this.ctx.onFinished(this);
  }
}
