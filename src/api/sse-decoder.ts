/**
 * Incremental Server-Sent Events decoder (the WHATWG event-stream format) fed raw body bytes.
 *
 * Bytes may be split anywhere, including inside a line or a multi-byte UTF-8 character: a partial
 * line is carried to the next call, and lines are decoded to text only once complete. Lines end
 * with LF or CRLF. Comment lines (":...") and the `id`/`retry` fields are ignored; `event:` names
 * the event; several `data:` lines join with "\n"; a blank line dispatches the event.
 *
 * Hand-written (not eventsource-parser, whose current major needs Node 22) because it sits on the
 * per-chunk hot path and must work on Buffer views without first decoding the whole chunk.
 */

export interface SseEventSink {
  /** One dispatched event. `event` is '' when the stream gave no `event:` field. */
  onSseEvent(event: string, data: string): void;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;

export class SseDecoder {
  private carry: Buffer | null = null;
  private data = '';
  private hasData = false;
  private event = '';

  constructor(private sink: SseEventSink) {}

  /** Forget any partial state (used when a connection is reused for a new response). */
  reset(sink: SseEventSink): void {
    this.sink = sink;
    this.carry = null;
    this.data = '';
    this.hasData = false;
    this.event = '';
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
    while (pos < end) {
      const lf = buf.indexOf(LF, pos);
      if (lf < 0 || lf >= end) {
        this.carry = Buffer.from(buf.subarray(pos, end));
        return;
      }
      this.line(buf, pos, lf);
      pos = lf + 1;
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
    this.data = '';
    this.hasData = false;
    this.event = '';
  }

  /** One line, buf[start, lf) with the LF removed (a CR before it is removed here). */
  private line(buf: Buffer, start: number, lf: number): void {
    let stop = lf;
    if (stop > start && buf[stop - 1] === CR) stop--;
    if (stop === start) {
      this.dispatch();
      return;
    }
    if (buf[start] === COLON) return; // comment
    let colon = buf.indexOf(COLON, start);
    if (colon < 0 || colon >= stop) colon = stop;
    let valueStart = colon + 1;
    if (valueStart < stop && buf[valueStart] === SPACE) valueStart++;
    const nameLength = colon - start;
    // "data" and "event" are the only fields the measurement needs.
    if (nameLength === 4 && buf[start] === 100 && buf[start + 1] === 97 && buf[start + 2] === 116 && buf[start + 3] === 97) {
      const value = valueStart < stop ? buf.toString('utf8', valueStart, stop) : '';
      if (this.hasData) this.data += '\n' + value;
      else {
        this.data = value;
        this.hasData = true;
      }
    } else if (nameLength === 5 && buf.toString('latin1', start, colon) === 'event') {
      this.event = valueStart < stop ? buf.toString('utf8', valueStart, stop) : '';
    }
  }

  private dispatch(): void {
    if (!this.hasData) {
      this.event = '';
      return;
    }
    const data = this.data;
    const event = this.event;
    this.data = '';
    this.hasData = false;
    this.event = '';
    this.sink.onSseEvent(event, data);
  }
}
