/**
 * Incremental HTTP/1.1 response parser: status line, the few headers the client needs, and the
 * body framed by Content-Length, chunked transfer encoding or connection close.
 *
 * Hand-written on purpose (see client/http1-connection.ts for why we own the socket): it is fed
 * raw socket buffers split anywhere, hands body bytes to the sink as (buffer, start, end) views
 * without copying, and allocates nothing per chunk in the common case. Only the response head is
 * ever copied, and only when it is split across reads.
 */

import { nativeAddon, type NativeAddon } from '../native/addon.js';
import { HEAD_SLOT_COUNT, HeadSlot } from '../native/slots.js';

export interface ResponseSink {
  /** The status line and headers are complete (1xx interim responses are skipped). */
  onResponseHead(status: number, head: ResponseHead): void;
  /** Decoded body bytes (chunk framing removed): buf[start, end). */
  onResponseBody(buf: Buffer, start: number, end: number): void;
  /** The message is complete. */
  onResponseComplete(): void;
}

export interface ResponseHead {
  /** Lower-cased Content-Type without parameters ('' when absent). */
  contentType: string;
  /** False when the server asked to close the connection (or spoke HTTP/1.0 without keep-alive). */
  keepAlive: boolean;
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** Lower-cased Content-Encoding ('' when absent or identity). */
  contentEncoding: string;
  /** Retry-After of a 429/503 answer, as sent ('' when absent or another status). */
  retryAfter: string;
}

export class HttpParseError extends Error {
  readonly code = 'malformed_response';
}

const enum State {
  Head,
  BodyLength,
  ChunkSize,
  ChunkExt,
  ChunkSizeLf,
  ChunkData,
  ChunkDataCr,
  ChunkDataLf,
  Trailers,
  BodyUntilClose,
  Done,
}

const CR = 13;
const LF = 10;
/** A response head (status line, headers, blank line) larger than this is refused, however it is split. */
export const MAX_HEAD_BYTES = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
/** Every response head starts with this (the minor version and status follow). */
const STATUS_PREFIX = Buffer.from('HTTP/1.', 'latin1');
const SPACE = 32;

export class Http1ResponseParser {
  private state = State.Head;
  /** A head split across reads: headCarry[0, headCarryLength), grown geometrically (a dripped head is O(n)). */
  private headCarry: Buffer | null = null;
  private headCarryLength = 0;
  private remaining = 0;
  private chunkSizeDigits = 0;
  private trailerLineLength = 0;
  private sink: ResponseSink | null = null;
  private noBody = false;
  /** The head of the current response, once parsed (one object per parser, reset per response). */
  readonly head: ResponseHead = {
    contentType: '',
    keepAlive: true,
    contentLength: -1,
    chunked: false,
    contentEncoding: '',
    retryAfter: '',
  };
  /** Response bytes received for the current message (0 = the server has said nothing yet). */
  bytesReceived = 0;

  /** `maxHeadBytes`: the head-size limit (tests use a small one to try every split). */
  constructor(private readonly maxHeadBytes = MAX_HEAD_BYTES) {}

  /** Prepare for the next response. `expectNoBody` is for HEAD requests. */
  reset(sink: ResponseSink, expectNoBody = false): void {
    this.state = State.Head;
    this.headCarry = null;
    this.headCarryLength = 0;
    this.sink = sink;
    this.noBody = expectNoBody;
    this.bytesReceived = 0;
    const h = this.head;
    h.contentType = '';
    h.keepAlive = true;
    h.contentLength = -1;
    h.chunked = false;
    h.contentEncoding = '';
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  /** True when the body is delimited by the connection closing (then close = complete). */
  get readsUntilClose(): boolean {
    return this.state === State.BodyUntilClose;
  }

  /**
   * Feed bytes. Returns the number of bytes consumed; bytes past the end of the message are not
   * consumed (a well-behaved server sends none, since we never pipeline). Throws HttpParseError.
   */
  execute(buf: Buffer): number {
    if (this.state === State.Done) return 0;
    this.bytesReceived += buf.length;
    let pos = 0;
    const len = buf.length;
    while (pos < len) {
      switch (this.state) {
        case State.Head: {
          pos = this.parseHeadFrom(buf, pos);
          break;
        }
        case State.BodyLength: {
          const n = Math.min(this.remaining, len - pos);
          if (n > 0) this.sink!.onResponseBody(buf, pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.finish();
          break;
        }
        case State.BodyUntilClose: {
          this.sink!.onResponseBody(buf, pos, len);
          pos = len;
          break;
        }
        case State.ChunkSize: {
          const c = buf[pos++];
          const digit = hexValue(c);
          if (digit >= 0) {
            if (this.chunkSizeDigits >= 12) throw new HttpParseError('chunk size too large');
            this.remaining = this.remaining * 16 + digit;
            this.chunkSizeDigits++;
          } else if (this.chunkSizeDigits === 0) {
            throw new HttpParseError('invalid chunk size line');
          } else if (c === CR) {
            this.state = State.ChunkSizeLf;
          } else if (c === LF) {
            this.afterChunkSize();
          } else if (c === 0x3b /* ; */ || c === 0x20 || c === 0x09) {
            this.state = State.ChunkExt;
          } else {
            throw new HttpParseError('invalid chunk size line');
          }
          break;
        }
        case State.ChunkExt: {
          const lf = buf.indexOf(LF, pos);
          if (lf < 0) {
            pos = len;
          } else {
            pos = lf + 1;
            this.afterChunkSize();
          }
          break;
        }
        case State.ChunkSizeLf: {
          if (buf[pos++] !== LF) throw new HttpParseError('expected LF after chunk size');
          this.afterChunkSize();
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, len - pos);
          this.sink!.onResponseBody(buf, pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = State.ChunkDataCr;
          break;
        }
        case State.ChunkDataCr: {
          const c = buf[pos++];
          if (c === CR) this.state = State.ChunkDataLf;
          else if (c === LF) this.startChunk();
          else throw new HttpParseError('expected CRLF after chunk data');
          break;
        }
        case State.ChunkDataLf: {
          if (buf[pos++] !== LF) throw new HttpParseError('expected CRLF after chunk data');
          this.startChunk();
          break;
        }
        case State.Trailers: {
          // Trailer lines are ignored; an empty line ends the message.
          const c = buf[pos++];
          if (c === LF) {
            if (this.trailerLineLength === 0) this.finish();
            this.trailerLineLength = 0;
          } else if (c !== CR) {
            this.trailerLineLength++;
          }
          break;
        }
      }
      if ((this.state as State) === State.Done) break;
    }
    if ((this.state as State) === State.Done) {
      this.bytesReceived -= len - pos;
      // Bytes past the end of the answer (we never pipeline): the framing cannot be trusted, so
      // the connection must not carry another request.
      if (pos < len) this.head.keepAlive = false;
      // Signalled after the loop so that a sink which reuses the connection at once (and resets
      // this parser for the next request) never sees the rest of this call.
      this.sink!.onResponseComplete();
    }
    return pos;
  }

  /** The socket closed. Returns true when that completes the message (close-delimited body). */
  finishOnClose(): boolean {
    if (this.state === State.BodyUntilClose) {
      this.finish();
      this.sink!.onResponseComplete();
      return true;
    }
    return this.state === State.Done;
  }

  private appendHeadCarry(buf: Buffer, start: number, end: number): void {
    const need = this.headCarryLength + (end - start);
    let carry = this.headCarry;
    if (carry === null || need > carry.length) {
      const next = Buffer.allocUnsafe(Math.max(need, 2 * (carry?.length ?? 0), 1024));
      if (carry !== null) carry.copy(next, 0, 0, this.headCarryLength);
      carry = this.headCarry = next;
    }
    buf.copy(carry, this.headCarryLength, start, end);
    this.headCarryLength = need;
  }

  private startChunk(): void {
    this.state = State.ChunkSize;
    this.remaining = 0;
    this.chunkSizeDigits = 0;
  }

  private afterChunkSize(): void {
    if (this.remaining === 0) {
      this.state = State.Trailers;
      this.trailerLineLength = 0;
    } else {
      this.state = State.ChunkData;
    }
  }

  private finish(): void {
    this.state = State.Done;
  }

  /** Consume head bytes from buf[pos..]; returns the new position. */
  private parseHeadFrom(buf: Buffer, pos: number): number {
    let head: Buffer;
    let headStart: number;
    let headEnd: number;
    let searchFrom: number;
    const carried = this.headCarryLength;
    if (this.headCarry === null) {
      head = buf;
      headStart = pos;
      headEnd = buf.length;
      searchFrom = pos;
    } else {
      // The head was split across reads: append what can still belong to it (rare).
      const take = Math.min(buf.length - pos, this.maxHeadBytes + 1 - carried);
      this.appendHeadCarry(buf, pos, pos + take);
      head = this.headCarry;
      headStart = 0;
      headEnd = this.headCarryLength;
      searchFrom = Math.max(0, carried - 3);
    }
    let end = head.indexOf(HEAD_END, searchFrom);
    if (end + 4 > headEnd) end = -1;
    // The limit is on the head's size (through its blank line), not on how the reads split it:
    // unterminated, `pending` bytes make a head of at least pending + 1.
    const pending = headEnd - headStart;
    const max = this.maxHeadBytes;
    if (end < 0 ? pending >= max : end + 4 - headStart > max) {
      throw new HttpParseError(`response head larger than ${max % 1024 === 0 ? `${max / 1024} KiB` : `${max} bytes`}`);
    }
    if (end < 0) {
      // Fail fast on a peer that does not speak HTTP/1.x (a banner, a binary frame) and then
      // waits: without this the request would hang until its timeout.
      if (!plausibleStatusLineStart(head, headStart, headEnd)) {
        throw new HttpParseError(
          `not an HTTP/1.x response: ${JSON.stringify(head.toString('latin1', headStart, headStart + Math.min(pending, 60)))}`,
        );
      }
      if (this.headCarry === null) this.appendHeadCarry(buf, pos, buf.length);
      return buf.length;
    }
    const next = this.headCarry === null ? end + 4 : end + 4 - carried + pos;
    this.headCarry = null;
    this.headCarryLength = 0;
    const status = this.applyHead(head, headStart, end);
    if (status >= 100 && status < 200) {
      // Interim response (100 Continue, 103 Early Hints): the real one follows.
      return next;
    }
    const h = this.head;
    if (this.noBody || status === 204 || status === 304) {
      this.finish();
    } else if (h.chunked) {
      this.startChunk();
    } else if (h.contentLength >= 0) {
      this.remaining = h.contentLength;
      this.state = State.BodyLength;
      if (h.contentLength === 0) this.finish();
    } else {
      this.state = State.BodyUntilClose;
      h.keepAlive = false;
    }
    h.retryAfter = status === 429 || status === 503 ? headerValue(head, headStart, end, RETRY_AFTER) : '';
    // After the framing is known, so the sink sees the final keepAlive (false when close-delimited).
    this.sink!.onResponseHead(status, h);
    return next;
  }

  /**
   * Parse status line and headers from b[start, end) (end = the blank line's CRLF); returns the
   * status. Works on bytes: only the values of the few headers we use are ever decoded to text.
   */
  private applyHead(b: Buffer, start: number, end: number): number {
    const native = nativeAddon();
    if (native !== null) return this.applyHeadNative(native, b, start, end);
    // One JS pass over the bytes finds each line's end and first colon: a head has ~8 lines, and
    // two indexOf calls per line (native calls at ~100 ns each) cost more than the whole loop.
    let lineEnd = lineEndFrom(b, start, end);
    if (!isStatusLine(b, start, lineEnd)) {
      throw new HttpParseError(
        `not an HTTP/1.x response: ${JSON.stringify(b.toString('latin1', start, Math.min(lineEnd, start + 60)))}`,
      );
    }
    const status = (b[start + 9] - 48) * 100 + (b[start + 10] - 48) * 10 + (b[start + 11] - 48);
    // Reused in place: nothing keeps a head past its response.
    const head = this.head;
    head.contentType = '';
    head.keepAlive = b[start + 7] === 49;
    head.contentLength = -1;
    head.chunked = false;
    head.contentEncoding = '';
    while (lineEnd < end) {
      const lineStart = lineEnd + 2;
      let colon = -1;
      let i = lineStart;
      for (; i < end; i++) {
        const c = b[i];
        if (c === CR && b[i + 1] === LF) break;
        if (c === COLON && colon < 0) colon = i;
      }
      lineEnd = i;
      if (colon <= lineStart) continue;
      let n0 = lineStart;
      let n1 = colon;
      while (n0 < n1 && isBlank(b[n0])) n0++;
      while (n1 > n0 && isBlank(b[n1 - 1])) n1--;
      const which = knownHeader(b, n0, n1);
      if (which === Header.Other) continue;
      let v0 = colon + 1;
      let v1 = lineEnd;
      while (v0 < v1 && isBlank(b[v0])) v0++;
      while (v1 > v0 && isBlank(b[v1 - 1])) v1--;
      switch (which) {
        case Header.ContentLength: {
          let n = 0;
          for (let k = v0; k < v1; k++) {
            const d = b[k] - 48;
            if (d < 0 || d > 9) throw new HttpParseError(`invalid Content-Length: ${b.toString('latin1', v0, v1)}`);
            n = n * 10 + d;
          }
          if (v0 === v1) throw new HttpParseError('invalid Content-Length: (empty)');
          head.contentLength = n;
          break;
        }
        case Header.TransferEncoding:
          head.chunked = b.toString('latin1', v0, v1).toLowerCase().split(',').pop()!.trim() === 'chunked';
          break;
        case Header.Connection: {
          if (equalsLower(b, v0, v1, KEEP_ALIVE)) {
            head.keepAlive = true;
            break;
          }
          const v = b.toString('latin1', v0, v1).toLowerCase();
          if (v.includes('close')) head.keepAlive = false;
          else if (v.includes('keep-alive')) head.keepAlive = true;
          break;
        }
        case Header.ContentEncoding:
          head.contentEncoding = encodingName(b.toString('latin1', v0, v1));
          break;
        case Header.ContentType: {
          let semi = v0;
          while (semi < v1 && b[semi] !== SEMICOLON) semi++;
          let t1 = semi;
          while (t1 > v0 && isBlank(b[t1 - 1])) t1--;
          // The two types every answer has, without making a string.
          if (equalsLower(b, v0, t1, EVENT_STREAM)) head.contentType = EVENT_STREAM_TYPE;
          else if (equalsLower(b, v0, t1, APPLICATION_JSON)) head.contentType = APPLICATION_JSON_TYPE;
          else head.contentType = b.toString('latin1', v0, t1).trim().toLowerCase();
          break;
        }
      }
    }
    // Chunked wins over Content-Length (RFC 9112 §6.3).
    if (head.chunked) head.contentLength = -1;
    return status;
  }

  /** applyHead in one native call (native/http_head.c, same rules); errors are made here, alike. */
  private applyHeadNative(native: NativeAddon, b: Buffer, start: number, end: number): number {
    const out = HEAD_OUT;
    const status = native.parseHead(b, start, end, out);
    if (status === -1) {
      const lineEnd = lineEndFrom(b, start, end);
      throw new HttpParseError(
        `not an HTTP/1.x response: ${JSON.stringify(b.toString('latin1', start, Math.min(lineEnd, start + 60)))}`,
      );
    }
    if (status === -2) {
      throw new HttpParseError(
        out[HeadSlot.valueStart] === out[HeadSlot.valueEnd]
          ? 'invalid Content-Length: (empty)'
          : `invalid Content-Length: ${b.toString('latin1', out[HeadSlot.valueStart], out[HeadSlot.valueEnd])}`,
      );
    }
    const head = this.head;
    head.keepAlive = out[HeadSlot.keepAlive] === 1;
    head.chunked = out[HeadSlot.chunked] === 1;
    // Chunked wins over Content-Length (RFC 9112 §6.3).
    head.contentLength = head.chunked ? -1 : out[HeadSlot.contentLength];
    const kind = out[HeadSlot.contentType];
    head.contentEncoding =
      out[HeadSlot.encodingStart] < 0
        ? ''
        : encodingName(b.toString('latin1', out[HeadSlot.encodingStart], out[HeadSlot.encodingEnd]));
    head.contentType =
      kind === 0
        ? ''
        : kind === 1
          ? EVENT_STREAM_TYPE
          : kind === 2
            ? APPLICATION_JSON_TYPE
            : b.toString('latin1', out[HeadSlot.valueStart], out[HeadSlot.valueEnd]).trim().toLowerCase();
    return status;
  }
}

const COLON = 58;
/** parseHead's output, laid out as HeadSlot (src/native/slots.ts). */
const HEAD_OUT = new Float64Array(HEAD_SLOT_COUNT);
const EVENT_STREAM_TYPE = 'text/event-stream';
const APPLICATION_JSON_TYPE = 'application/json';
const EVENT_STREAM = Buffer.from(EVENT_STREAM_TYPE);
const APPLICATION_JSON = Buffer.from(APPLICATION_JSON_TYPE);
const KEEP_ALIVE = Buffer.from('keep-alive');

/** The CR of the first CRLF in b[from, end), or end. */
function lineEndFrom(b: Buffer, from: number, end: number): number {
  for (let i = from; i < end; i++) if (b[i] === CR && b[i + 1] === LF) return i;
  return end;
}

/** b[s, e) equals `lower` (lower-case ASCII) ignoring ASCII case. */
function equalsLower(b: Buffer, s: number, e: number, lower: Buffer): boolean {
  if (e - s !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) {
    let c = b[s + k];
    if (c >= 65 && c <= 90) c |= 0x20; // A-Z only: | 0x20 would also turn CR into '-'
    if (c !== lower[k]) return false;
  }
  return true;
}
const SEMICOLON = 59;

const enum Header {
  Other,
  ContentLength,
  TransferEncoding,
  Connection,
  ContentType,
  ContentEncoding,
}

/** Lower-case names, indexed by Header. */
const HEADER_NAMES: readonly Buffer[] = [
  Buffer.alloc(0),
  Buffer.from('content-length'),
  Buffer.from('transfer-encoding'),
  Buffer.from('connection'),
  Buffer.from('content-type'),
  Buffer.from('content-encoding'),
];

function isBlank(c: number): boolean {
  return c === SPACE || c === 9;
}

/** Which of the headers we use b[s, e) names, compared case-insensitively. */
function knownHeader(b: Buffer, s: number, e: number): Header {
  switch (e - s) {
    case 10:
      return equalsLower(b, s, e, HEADER_NAMES[Header.Connection]) ? Header.Connection : Header.Other;
    case 12:
      return equalsLower(b, s, e, HEADER_NAMES[Header.ContentType]) ? Header.ContentType : Header.Other;
    case 14:
      return equalsLower(b, s, e, HEADER_NAMES[Header.ContentLength]) ? Header.ContentLength : Header.Other;
    case 16:
      return equalsLower(b, s, e, HEADER_NAMES[Header.ContentEncoding]) ? Header.ContentEncoding : Header.Other;
    case 17:
      return equalsLower(b, s, e, HEADER_NAMES[Header.TransferEncoding]) ? Header.TransferEncoding : Header.Other;
    default:
      return Header.Other;
  }
}

/** `HTTP/1.0` or `HTTP/1.1`, a space, three digits, then a space or the end of the line. */
function isStatusLine(b: Buffer, s: number, e: number): boolean {
  if (e - s < 12) return false;
  for (let i = 0; i < STATUS_PREFIX.length; i++) if (b[s + i] !== STATUS_PREFIX[i]) return false;
  const minor = b[s + 7];
  if ((minor !== 48 && minor !== 49) || b[s + 8] !== SPACE) return false;
  for (let i = 9; i < 12; i++) if (b[s + i] < 48 || b[s + i] > 57) return false;
  return e - s === 12 || b[s + 12] === SPACE;
}

/** True when buf[start, end) can still be the start of `HTTP/1.x NNN` (what applyHead accepts). */
function plausibleStatusLineStart(buf: Buffer, start: number, end: number): boolean {
  const n = Math.min(end - start, STATUS_PREFIX.length + 5);
  for (let i = 0; i < n; i++) {
    const c = buf[start + i];
    if (i < STATUS_PREFIX.length) {
      if (c !== STATUS_PREFIX[i]) return false;
    } else if (i === STATUS_PREFIX.length) {
      if (c !== 48 && c !== 49) return false; // 0 or 1
    } else if (i === STATUS_PREFIX.length + 1) {
      if (c !== SPACE) return false;
    } else if (c < 48 || c > 57) {
      return false; // the three status digits
    }
  }
  return true;
}

/** A Content-Encoding value, lower-cased and trimmed; identity (the default) is ''. */
function encodingName(value: string): string {
  const v = value.trim().toLowerCase();
  return v === 'identity' ? '' : v;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const RETRY_AFTER = Buffer.from('\r\nretry-after:');

/** The value of one header in b[start, end), by its lower-case `\r\nname:` (only for rare answers: it copies). */
function headerValue(b: Buffer, start: number, end: number, name: Buffer): string {
  const at = Buffer.from(b.subarray(start, end)).toString('latin1').toLowerCase().indexOf(name.toString('latin1'));
  if (at < 0) return '';
  const from = start + at + name.length;
  const lineEnd = b.indexOf('\r\n', from);
  return b
    .toString('latin1', from, lineEnd < 0 || lineEnd > end ? end : lineEnd)
    .trim()
    .slice(0, 64);
}
