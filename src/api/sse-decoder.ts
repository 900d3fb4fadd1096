/**
 * Incremental Server-Sent Events decoder (the WHATWG event-stream format) fed raw body bytes.
 *
 * Bytes may be split anywhere, including inside a line or a multi-byte UTF-8 character: a partial
 * line is carried to the next call. Lines end with LF, CRLF or a bare CR (a CRLF split across two
 * reads is one line ending). Comment lines (":...") and the
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
   * native/sse_scan.c); `out` holds the aggregate, laid out as SseSlot (src/native/slots.ts). A sink
   * without it gets every event through onSseEvent.
   */
  onSseBatch?(buf: Buffer, out: Int32Array): void;
  /** With onSseBatch: the stream's last usage.completion_tokens (-1 = none yet), for per-chunk counts. */
  readonly completionCount?: number;
}

/** The native scanner's aggregate, laid out as SseSlot (src/native/slots.ts). */
const BATCH = new Int32Array(SSE_SLOT_COUNT);

import { nativeAddon } from '../native/addon.js';
import { SSE_SLOT_COUNT, SseSlot } from '../native/slots.js';
import type { BufferBudget } from './buffer-budget.js';
import { ByteAccumulator } from './byte-accumulator.js';

/** Why a decoder stopped. */
export const enum SseFailure {
  None = 0,
  /** A line or an event's data passed maxEventBytes. */
  EventTooLarge = 1,
  /** The shard's BufferBudget refused the bytes the event needs. */
  BudgetExhausted = 2,
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const LF_BYTES = Buffer.from('\n');
const BOM = [0xef, 0xbb, 0xbf];
/** No cap (tests and direct users that do not set one). */
const NO_CAP = Number.MAX_SAFE_INTEGER;
const EMPTY = Buffer.alloc(0);

export class SseDecoder {
  /** The partial line waiting for its LF (grows geometrically: a 50 MB line is O(n), not O(n²)). */
  private readonly carry: ByteAccumulator;
  /** The current event's data when it must outlive the caller's buffer (or spans several lines). */
  private readonly pend: ByteAccumulator;
  private data: Buffer = EMPTY;
  private dataStart = 0;
  private dataEnd = 0;
  private hasData = false;
  private event = '';
  /** Set when write() has refused the stream; it stays refused until reset. */
  failure: SseFailure = SseFailure.None;
  /**
   * Bytes of a leading UTF-8 BOM matched so far (the event-stream spec drops one); -1 once the
   * stream is past its start. Matched byte by byte, so a BOM split across reads is dropped too.
   */
  private bomSeen = 0;
  /** The last write ended on a CR that ended a line: an LF opening the next write is its other half. */
  private afterCr = false;

  /**
   * `maxEventBytes` caps one line and one event's data (the stream fails with EventTooLarge
   * past it); `budget` is charged for every byte the decoder keeps past a write.
   */
  constructor(
    private sink: SseEventSink,
    private readonly maxEventBytes = NO_CAP,
    budget: BufferBudget | null = null,
  ) {
    this.carry = new ByteAccumulator(budget);
    this.pend = new ByteAccumulator(budget);
  }

  /** Forget any partial state (used when a connection is reused for a new response). */
  reset(sink: SseEventSink): void {
    this.sink = sink;
    this.carry.clear();
    this.clearEvent();
    this.failure = SseFailure.None;
    this.bomSeen = 0;
    this.afterCr = false;
  }

  /** Give every kept byte back to the budget (the response is over, or abandoned). */
  dispose(): void {
    this.carry.release();
    this.pend.release();
    this.clearEvent();
  }

  /** Bytes still waiting for their line ending. */
  get pendingBytes(): number {
    return this.carry.length;
  }

  /** Decode buf[start, end). False when the stream is refused (see `failure`); later writes are ignored. */
  write(buf: Buffer, start: number, end: number): boolean {
    if (this.failure !== SseFailure.None) return false;
    if (this.bomSeen >= 0) {
      while (start < end && this.bomSeen < 3 && buf[start] === BOM[this.bomSeen]) {
        start++;
        this.bomSeen++;
      }
      if (this.bomSeen === 3 || start < end) this.bomSeen = -1;
    }
    if (this.afterCr && start < end) {
      this.afterCr = false;
      if (buf[start] === LF) start++;
    }
    let pos = start;
    const carry = this.carry;
    if (carry.length > 0) {
      let lf = buf.indexOf(LF, start);
      if (lf < 0 || lf >= end) lf = end;
      const cr = buf.indexOf(CR, start);
      // The line ends at the first CR or LF (a CR just before the LF: CRLF, one ending).
      const stop = cr >= 0 && cr < lf ? cr : lf;
      if (carry.length + (stop - start) > this.maxEventBytes) return this.fail(SseFailure.EventTooLarge);
      if (!carry.append(buf, start, stop)) return this.fail(SseFailure.BudgetExhausted);
      if (stop === end) return true;
      this.line(carry.buf, 0, carry.length);
      // The carry is reused for the next partial line: pending data must not point into it.
      if (this.hasData && this.data === carry.buf) this.keepData();
      carry.clear();
      if (this.failure !== SseFailure.None) return false;
      pos = stop + 1;
      if (stop < lf) {
        if (pos < end && buf[pos] === LF) pos++;
        else if (pos === end) this.afterCr = true;
      }
    }
    const native = this.sink.onSseBatch !== undefined ? nativeAddon() : null;
    /** -2: not looked for yet in this write. */
    let cr = -2;
    while (pos < end) {
      if (native !== null && !this.hasData && this.event === '') {
        // At an event boundary: let the native scanner take every clean event it can.
        BATCH[SseSlot.countBefore] = this.sink.completionCount ?? -1;
        const next = native.scanSse(buf, pos, end, BATCH);
        if (BATCH[SseSlot.events] > 0) this.sink.onSseBatch!(buf, BATCH);
        pos = next;
        if (pos >= end) break;
      }
      let lf = buf.indexOf(LF, pos);
      if (lf >= end) lf = -1;
      // The next CR, found once per write and again only once passed (-1: none left): an LF-only
      // stream pays one scan per write, a CRLF stream one short scan per line.
      if (cr !== -1 && cr < pos) {
        cr = buf.indexOf(CR, pos);
        if (cr >= end) cr = -1;
      }
      if (cr >= 0 && (lf < 0 || cr < lf - 1)) {
        // A bare CR ends this line (one just before an LF is CRLF: line() drops it).
        this.line(buf, pos, cr);
        if (this.failure !== SseFailure.None) return false;
        pos = cr + 1;
        if (pos === end) this.afterCr = true;
        continue;
      }
      if (lf < 0) {
        if (end - pos > this.maxEventBytes) return this.fail(SseFailure.EventTooLarge);
        if (!carry.append(buf, pos, end)) return this.fail(SseFailure.BudgetExhausted);
        break;
      }
      this.line(buf, pos, lf);
      if (this.failure !== SseFailure.None) return false;
      pos = lf + 1;
    }
    // Data still waiting for its blank line must not point into the caller's buffer.
    if (this.hasData && this.data === buf) this.keepData();
    return this.failure === SseFailure.None;
  }

  /**
   * End of stream. A final line without its line ending is processed, but an event that was
   * never terminated by a blank line is not dispatched (as the spec says).
   */
  end(): void {
    if (this.failure === SseFailure.None && this.carry.length > 0) this.line(this.carry.buf, 0, this.carry.length);
    this.dispose();
  }

  private fail(why: SseFailure): false {
    this.failure = why;
    this.dispose();
    return false;
  }

  /** Move the pending event data into `pend` (a no-op when it is there already). */
  private keepData(): boolean {
    const pend = this.pend;
    if (this.data === pend.buf) return true;
    pend.length = 0;
    if (!pend.append(this.data, this.dataStart, this.dataEnd)) return this.fail(SseFailure.BudgetExhausted);
    this.data = pend.buf;
    this.dataStart = 0;
    this.dataEnd = pend.length;
    return true;
  }

  /** One line, buf[start, lf) without its ending (a CR before an LF is removed here). */
  private line(buf: Buffer, start: number, lf: number): void {
    if (lf - start > this.maxEventBytes) {
      this.fail(SseFailure.EventTooLarge);
      return;
    }
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
        // Multi-line data (rare): join with LF in `pend` (geometric growth, capped like a line).
        if (this.dataEnd - this.dataStart + 1 + (stop - valueStart) > this.maxEventBytes) {
          this.fail(SseFailure.EventTooLarge);
          return;
        }
        if (!this.keepData()) return;
        const pend = this.pend;
        if (!pend.append(LF_BYTES, 0, 1) || !pend.append(buf, valueStart, stop)) {
          this.fail(SseFailure.BudgetExhausted);
          return;
        }
        this.data = pend.buf;
        this.dataEnd = pend.length;
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
    this.pend.clear();
    this.data = EMPTY;
    this.dataStart = 0;
    this.dataEnd = 0;
    this.hasData = false;
    this.event = '';
  }
}
