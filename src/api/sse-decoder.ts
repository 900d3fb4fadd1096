/**
 * Incremental Server-Sent Events decoder (the WHATWG event-stream format) fed raw body bytes.
 *
 * Bytes may be split anywhere, including inside a line or a multi-byte UTF-8 character: a partial
 * line is carried to the next call. Lines end with LF or CRLF. Comment lines (":...") and the
 * `id`/`retry` fields are ignored; `event:` names the event; several `data:` lines join with
 * "\n"; a blank line dispatches the event.
 *
 * Hot path: event data is handed to the sink as a view (buffer, start, end) into the bytes that
 * arrived — no text decoding, no copy — in the common case where an event's data line and its
 * blank line arrive in one read. Only data still pending when `write` returns is copied, so the
 * caller may reuse its buffer. Hand-written (not eventsource-parser, whose current major needs
 * Node 22) because it runs once per SSE chunk.
 */

export interface SseEventSink {
  /** One dispatched event: its data is buf[start, end). `event` is '' without an `event:` field. */
  onSseEvent(event: string, buf: Buffer, start: number, end: number): void;
  /**
   * Optional: a run of clean `data: {json}` events scanned natively in one call (see
   * native/sse_scan.c); `out` holds the aggregate, laid out as SSE_BATCH_* indexes. A sink
   * without it gets every event through onSseEvent.
   */
  onSseBatch?(buf: Buffer, out: Int32Array): void;
}

/** Layout of the native scanner's aggregate (native/sse_scan.c). */
export const SSE_BATCH_EVENTS = 0;
export const SSE_BATCH_TOKENS = 1;
export const SSE_BATCH_DONE = 2;
export const SSE_BATCH_FINISH_START = 3;
export const SSE_BATCH_FINISH_END = 4;
export const SSE_BATCH_PROMPT_TOKENS = 5;
export const SSE_BATCH_COMPLETION_TOKENS = 6;

let nativeScan = nativeAddon()?.scanSse ?? null;
const BATCH = new Int32Array(7);

/** Turn the native per-read scanner off or back on (differential tests compare the two paths). */
export function useNativeSseScan(on: boolean): boolean {
  nativeScan = on ? (nativeAddon()?.scanSse ?? null) : null;
  return nativeScan !== null;
}

import { nativeAddon } from '../native/addon.js';

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const LF_BYTES = Buffer.from('\n');
const EMPTY = Buffer.alloc(0);

export class SseDecoder {
  private carry: Buffer | null = null;
  private data: Buffer = EMPTY;
  private dataStart = 0;
  private dataEnd = 0;
  private hasData = false;
  private event = '';

  constructor(private sink: SseEventSink) {}

  /** Forget any partial state (used when a connection is reused for a new response). */
  reset(sink: SseEventSink): void {
    this.sink = sink;
    this.carry = null;
    this.clearEvent();
  }

  /** Bytes still waiting for their line ending. */
  get pendingBytes(): number {
    return this.carry === null ? 0 : this.carry.length;
  }

  write(buf: Buffer, start: number, end: number): void {
    let pos = start;
    if (this.carry !== null) {
      const lf = buf.indexOf(LF, start);
      if (lf < 0 || lf >= end) {
        this.carry = Buffer.concat([this.carry, buf.subarray(start, end)]);
        return;
      }
      const line = Buffer.concat([this.carry, buf.subarray(start, lf)]);
      this.carry = null;
      this.line(line, 0, line.length);
      pos = lf + 1;
    }
    const batch = this.sink.onSseBatch !== undefined ? nativeScan : null;
    while (pos < end) {
      if (batch !== null && !this.hasData && this.event === '') {
        // At an event boundary: let the native scanner take every clean event it can.
        const next = batch(buf, pos, end, BATCH);
        if (BATCH[SSE_BATCH_EVENTS] > 0) this.sink.onSseBatch!(buf, BATCH);
        pos = next;
        if (pos >= end) break;
      }
      const lf = buf.indexOf(LF, pos);
      if (lf < 0 || lf >= end) {
        this.carry = Buffer.from(buf.subarray(pos, end));
        break;
      }
      this.line(buf, pos, lf);
      pos = lf + 1;
    }
    // Data still waiting for its blank line must not point into the caller's buffer.
    if (this.hasData && this.data === buf) {
      this.data = Buffer.from(buf.subarray(this.dataStart, this.dataEnd));
      this.dataStart = 0;
      this.dataEnd = this.data.length;
    }
  }

  /**
   * End of stream. A final line without its line ending is processed, but an event that was
   * never terminated by a blank line is not dispatched (as the spec says).
   */
  end(): void {
    if (this.carry !== null) {
      const line = this.carry;
      this.carry = null;
      this.line(line, 0, line.length);
    }
    this.clearEvent();
  }

  /** One line, buf[start, lf) with the LF removed (a CR before it is removed here). */
  private line(buf: Buffer, start: number, lf: number): void {
    let stop = lf;
    if (stop > start && buf[stop - 1] === CR) stop--;
    if (stop === start) {
      this.dispatch();
      return;
    }
    const first = buf[start];
    if (first === COLON) return; // comment
    // "data" and "event" are the only fields the measurement needs.
    if (
      first === 100 /* d */ &&
      stop - start >= 4 &&
      buf[start + 1] === 97 &&
      buf[start + 2] === 116 &&
      buf[start + 3] === 97 &&
      (stop - start === 4 || buf[start + 4] === COLON)
    ) {
      let valueStart = start + 5;
      if (valueStart < stop && buf[valueStart] === SPACE) valueStart++;
      if (valueStart > stop) valueStart = stop;
      if (!this.hasData) {
        this.data = buf;
        this.dataStart = valueStart;
        this.dataEnd = stop;
        this.hasData = true;
      } else {
        // Multi-line data (rare): join with LF into a buffer of our own.
        this.data = Buffer.concat([
          this.data.subarray(this.dataStart, this.dataEnd),
          LF_BYTES,
          buf.subarray(valueStart, stop),
        ]);
        this.dataStart = 0;
        this.dataEnd = this.data.length;
      }
      return;
    }
    let colon = buf.indexOf(COLON, start);
    if (colon < 0 || colon >= stop) colon = stop;
    if (colon - start === 5 && buf.toString('latin1', start, colon) === 'event') {
      let valueStart = colon + 1;
      if (valueStart < stop && buf[valueStart] === SPACE) valueStart++;
      this.event = valueStart < stop ? buf.toString('utf8', valueStart, stop) : '';
    }
  }

  private dispatch(): void {
    if (!this.hasData) {
      this.event = '';
      return;
    }
    const { data, dataStart, dataEnd, event } = this;
    this.clearEvent();
    this.sink.onSseEvent(event, data, dataStart, dataEnd);
  }

  private clearEvent(): void {
    this.data = EMPTY;
    this.dataStart = 0;
    this.dataEnd = 0;
    this.hasData = false;
    this.event = '';
  }
}
