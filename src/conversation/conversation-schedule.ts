/**
 * Runs conversations as sessions: `concurrency` sessions active at once; turn k + 1 of a session is
 * sent when turn k's answer is complete (plus the think time), carrying the whole history — the
 * model's answers (captured text) or the dataset's. A session whose turn failed stops there (its
 * next turn would build on an answer that does not exist); a new one takes its slot. The run ends
 * when every planned session has ended, or at --duration / --num-samples (turns in flight finish).
 *
 * Implements Schedule, so the shard runs it in place of the concurrency schedule; the shard hands
 * every finished turn back through onTurnFinished. Nothing per turn but the body it must build.
 */
import { buildRequestTail, type RequestOptions } from '../api/openai-request.js';
import { DeadlineTimer } from '../client/deadline-timer.js';
import type { ChatMessage, Sample } from '../dataset/sample.js';
import { monotonicNs } from '../record/clock.js';
import type { RequestRecord } from '../record/request-record.js';
import type { Schedule, ScheduleLimits } from '../schedule/schedule.js';
import type { Conversation, ConversationShardPlan, WireMessage } from './conversation.js';

/** What the shard sends for one turn: the session it belongs to (one turn in flight per session). */
export interface TurnRequest {
  /** Run-unique session number (records' `conversation`). */
  readonly session: number;
  /** 1-based turn number of the turn being sent. */
  readonly turn: number;
  /** Dataset row of the conversation (records' `sampleIndex`). */
  readonly sampleIndex: number;
  /** The whole request: `headPrefix` (ends in `Content-Length: `) with the session header, and the body. */
  requestBytes(headPrefix: Buffer): Buffer;
}

export interface TurnTarget {
  issue(scheduledNs: number, turn: TurnRequest): void;
}

const CONTENT_LENGTH = Buffer.from('Content-Length: ', 'latin1');

class Session implements TurnRequest {
  turn = 0;
  /** Index of the next turn to send (turn − 1 while one is in flight). */
  next = 0;
  dueNs = 0;
  tail: Buffer = Buffer.alloc(0);
  readonly history: WireMessage[] = [];

  constructor(
    readonly session: number,
    readonly sampleIndex: number,
    readonly conversation: Conversation,
    /** `Name: value\r\n`, or empty for no session header. */
    private readonly headerLine: Buffer,
  ) {
    if (conversation.system !== undefined) this.history.push({ role: 'system', content: conversation.system });
  }

  requestBytes(headPrefix: Buffer): Buffer {
    const cut = headPrefix.length - CONTENT_LENGTH.length;
    return Buffer.concat([headPrefix.subarray(0, cut), this.headerLine, CONTENT_LENGTH, this.tail]);
  }
}

/** A header value from a conversation id: visible ASCII only (a header cannot carry more), at most 200 bytes. */
export function sessionHeaderValue(id: string): string {
  const clean = id.replace(/[^\x21-\x7e]/g, '_').slice(0, 200);
  return clean === '' ? '_' : clean;
}

export class ConversationSchedule implements Schedule {
  exhausted = false;
  onExhausted: (() => void) | null = null;
  private started = 0;
  private issued = 0;
  private stopped = false;
  private endNs = Infinity;
  private durationTimer: NodeJS.Timeout | null = null;
  private readonly active = new Map<number, Session>();
  /** Sessions thinking before their next turn, in due order (one think time for all: FIFO). */
  private readonly waiting: Session[] = [];
  private waitingHead = 0;
  private readonly thinkNs: number;
  private readonly thinkTimer = new DeadlineTimer((now) => this.sendDue(now));

  constructor(
    private readonly target: TurnTarget,
    private readonly limits: ScheduleLimits,
    private readonly concurrency: number,
    private readonly plan: ConversationShardPlan,
    private readonly request: RequestOptions,
    private readonly shardIndex: number,
    private readonly shardCount: number,
  ) {
    this.thinkNs = plan.thinkTimeMs * 1e6;
  }

  start(startNs: number): void {
    this.endNs = startNs + this.limits.durationNs;
    if (Number.isFinite(this.limits.durationNs)) {
      this.durationTimer = setTimeout(() => this.stop(), Math.max(0, (this.endNs - monotonicNs()) / 1e6));
    }
    const n = Math.min(this.concurrency, this.plan.sessions);
    for (let i = 0; i < n && !this.stopped; i++) this.startSession(startNs);
    this.checkDone();
  }

  /**
   * After the shard has packed the finished turn's record: only now may the schedule say it is done
   * (the shard finishes at once when nothing is in flight, and a record packed later would be lost).
   */
  onRequestFinished(): void {
    this.checkDone();
  }

  /**
   * A turn ended: keep its answer for the history (and take the captured text off the record, which
   * it must not travel with), then send the next turn or end the session. The shard calls this
   * before packing the record, and onRequestFinished after.
   */
  onTurnFinished(r: RequestRecord): void {
    const s = this.active.get(r.conversation ?? -1);
    const text = r.text;
    // The text was captured for the history only: it does not travel with the record.
    r.text = undefined;
    if (s === undefined) return;
    const turn = s.conversation.turns[s.next];
    s.next++;
    if (r.error !== '' || this.stopped || s.next >= s.conversation.turns.length) {
      this.endSession(s);
      return;
    }
    const answer =
      this.plan.history === 'dataset' && turn.answer !== undefined
        ? turn.answer
        : { role: 'assistant', content: text ?? '' };
    s.history.push(answer);
    if (this.thinkNs <= 0) {
      this.sendTurn(s, r.end);
      return;
    }
    s.dueNs = r.end + this.thinkNs;
    this.waiting.push(s);
    this.thinkTimer.arm(s.dueNs);
  }

  /** --duration is up, or the run stops: no more turns; those in flight finish. */
  stop(): void {
    this.halt();
    if (this.exhausted) return;
    this.exhausted = true;
    this.onExhausted?.();
  }

  /** Send no more turns; sessions between turns (nothing in flight) end here. */
  private halt(): void {
    if (this.durationTimer !== null) clearTimeout(this.durationTimer);
    this.durationTimer = null;
    this.thinkTimer.cancel();
    this.stopped = true;
    for (let i = this.waitingHead; i < this.waiting.length; i++) this.active.delete(this.waiting[i].session);
    this.waiting.length = 0;
    this.waitingHead = 0;
  }

  private sendDue(now: number): number {
    while (this.waitingHead < this.waiting.length) {
      const s = this.waiting[this.waitingHead];
      if (s.dueNs > now) return s.dueNs;
      this.waitingHead++;
      this.sendTurn(s, s.dueNs);
      if (this.stopped) {
        this.checkDone();
        return Infinity;
      }
    }
    this.waiting.length = 0;
    this.waitingHead = 0;
    return Infinity;
  }

  private startSession(now: number): void {
    const plan = this.plan;
    const k = this.started++;
    const index = k % plan.conversations.length;
    const conversation = plan.conversations[index];
    const repeat = Math.floor(k / plan.conversations.length);
    const session = k * this.shardCount + this.shardIndex;
    const value = sessionHeaderValue(repeat === 0 ? conversation.id : `${conversation.id}~${repeat}`);
    const line =
      plan.sessionHeader === '' ? Buffer.alloc(0) : Buffer.from(`${plan.sessionHeader}: ${value}\r\n`, 'latin1');
    const s = new Session(session, plan.rows[index], conversation, line);
    this.active.set(session, s);
    this.sendTurn(s, now);
  }

  private sendTurn(s: Session, scheduledNs: number): void {
    if (this.stopped || this.issued >= this.limits.maxRequests || monotonicNs() >= this.endNs) {
      this.active.delete(s.session);
      this.halt();
      return;
    }
    const turn = s.conversation.turns[s.next];
    for (const m of turn.messages) s.history.push(m);
    const sample: Sample = {
      prompt: '',
      messages: s.history as unknown as ChatMessage[],
      maxOutputTokens: turn.maxOutputTokens,
    };
    s.tail = buildRequestTail(sample, this.request);
    s.turn = s.next + 1;
    this.issued++;
    this.target.issue(scheduledNs, s);
  }

  private endSession(s: Session): void {
    this.active.delete(s.session);
    if (!this.stopped && this.started < this.plan.sessions) this.startSession(monotonicNs());
  }

  private checkDone(): void {
    if (this.exhausted) return;
    if (this.active.size === 0 && (this.stopped || this.started >= this.plan.sessions)) {
      this.exhausted = true;
      this.onExhausted?.();
    }
  }
}
