/**
 * The multi-turn part of the report: TTFT and latency per turn number (turn 1 pays the whole
 * prefill; later turns resend the history, which a prompt cache serves — the gap between them is
 * the cache at work) and per-conversation totals. Computed in the main process after the run.
 */
import { summarizeSeries, type SeriesSummary } from '../metrics/series-summary.js';
import type { RequestRecord } from '../record/request-record.js';
import { formatMs, formatTokens } from '../report/format-units.js';
import type { ShardPlan } from '../shard/shard-plan.js';

/** Turns past this share one row ("9+"): a report line per turn of a 200-turn agent trace helps nobody. */
export const MAX_TURN_ROWS = 8;

export interface TurnSummary {
  /** "1", "2", …, or "9+" for every turn past MAX_TURN_ROWS. */
  turn: string;
  requests: number;
  completed: number;
  /** first token − sent, completed streaming turns (ns). */
  ttft: SeriesSummary;
  /** end − sent, completed turns (ns). */
  latency: SeriesSummary;
  /** Input tokens (the whole history) per completed turn, as the server counted them. */
  input_tokens: SeriesSummary;
  /** Cached prompt tokens ÷ prompt tokens, over completed turns that report them; null when none does. */
  cached_prompt_fraction: number | null;
}

export interface ConversationsSummary {
  /** Sessions that sent at least one turn. */
  conversations: number;
  /** Sessions whose every turn was sent and completed. */
  completed: number;
  /** Sessions that stopped early: a failed turn (the rest were not sent), or the run's end. */
  cut_short: number;
  turns_per_conversation: SeriesSummary;
  /** First turn sent → last turn's end, per session (ns): think times included. */
  duration: SeriesSummary;
  /** Output tokens per session (completed turns). */
  output_tokens: SeriesSummary;
  ttft_first_turn: SeriesSummary;
  ttft_later_turns: SeriesSummary;
  per_turn: TurnSummary[];
}

interface SessionTotals {
  row: number;
  turns: number;
  failed: boolean;
  first: number;
  last: number;
  output: number;
}

/** Planned turns of each dataset row, from the shard plans. */
function plannedTurns(plans: readonly ShardPlan[]): Map<number, number> {
  const turns = new Map<number, number>();
  for (const p of plans) {
    const c = p.conversations;
    if (c === undefined) continue;
    c.rows.forEach((row, k) => turns.set(row, c.conversations[k].turns.length));
  }
  return turns;
}

export function summarizeConversations(
  records: Iterable<RequestRecord>,
  plans: readonly ShardPlan[],
): ConversationsSummary {
  const planned = plannedTurns(plans);
  const sessions = new Map<number, SessionTotals>();
  const rows = Array.from({ length: MAX_TURN_ROWS + 1 }, () => ({
    requests: 0,
    completed: 0,
    ttft: [] as number[],
    latency: [] as number[],
    input: [] as number[],
    cached: 0,
    cachedInput: 0,
    cachedReporting: 0,
  }));
  const first: number[] = [];
  const later: number[] = [];
  for (const r of records) {
    const turn = r.turn ?? 0;
    if (turn <= 0) continue;
    const row = rows[Math.min(turn, MAX_TURN_ROWS + 1) - 1];
    row.requests++;
    let s = sessions.get(r.conversation ?? -1);
    if (s === undefined) {
      s = { row: r.sampleIndex, turns: 0, failed: false, first: Infinity, last: -Infinity, output: 0 };
      sessions.set(r.conversation ?? -1, s);
    }
    s.turns++;
    if (r.sent < s.first) s.first = r.sent;
    if (r.end > s.last) s.last = r.end;
    if (r.error !== '') {
      s.failed = true;
      continue;
    }
    row.completed++;
    s.output += r.outputTokens;
    row.latency.push(r.end - r.sent);
    row.input.push(r.inputTokens);
    if (r.cachedTokens >= 0) {
      row.cachedReporting++;
      row.cached += r.cachedTokens;
      row.cachedInput += r.inputTokens;
    }
    if (r.streaming && Number.isFinite(r.firstToken)) {
      const ttft = r.firstToken - r.sent;
      row.ttft.push(ttft);
      (turn === 1 ? first : later).push(ttft);
    }
  }
  let completed = 0;
  const perSession = { turns: [] as number[], duration: [] as number[], output: [] as number[] };
  for (const s of sessions.values()) {
    if (!s.failed && s.turns === planned.get(s.row)) completed++;
    perSession.turns.push(s.turns);
    if (Number.isFinite(s.first) && Number.isFinite(s.last)) perSession.duration.push(s.last - s.first);
    perSession.output.push(s.output);
  }
  const per_turn: TurnSummary[] = [];
  rows.forEach((row, i) => {
    if (row.requests === 0) return;
    per_turn.push({
      turn: i === MAX_TURN_ROWS ? `${MAX_TURN_ROWS + 1}+` : String(i + 1),
      requests: row.requests,
      completed: row.completed,
      ttft: summarizeSeries(row.ttft),
      latency: summarizeSeries(row.latency),
      input_tokens: summarizeSeries(row.input),
      cached_prompt_fraction: row.cachedReporting > 0 && row.cachedInput > 0 ? row.cached / row.cachedInput : null,
    });
  });
  return {
    conversations: sessions.size,
    completed,
    cut_short: sessions.size - completed,
    turns_per_conversation: summarizeSeries(perSession.turns),
    duration: summarizeSeries(perSession.duration),
    output_tokens: summarizeSeries(perSession.output),
    ttft_first_turn: summarizeSeries(first),
    ttft_later_turns: summarizeSeries(later),
    per_turn,
  };
}

const p50 = (s: SeriesSummary) => s.median;
const p99 = (s: SeriesSummary) => s.percentiles['99.0'] ?? null;

/** The report.txt section. */
export function formatConversationReport(c: ConversationsSummary): string {
  const lines = [
    '',
    'conversations (--multi-turn)',
    '----------------------------',
    `conversations: ${c.conversations} (${c.completed} completed every turn, ${c.cut_short} cut short)`,
    `turns per conversation: median ${formatTokens(p50(c.turns_per_conversation))}, max ${formatTokens(c.turns_per_conversation.max)}; ` +
      `duration median ${formatMs(p50(c.duration))} ms; output tokens median ${formatTokens(p50(c.output_tokens))}`,
    `TTFT turn 1: median ${formatMs(p50(c.ttft_first_turn))} ms, p99 ${formatMs(p99(c.ttft_first_turn))} ms; ` +
      `later turns: median ${formatMs(p50(c.ttft_later_turns))} ms, p99 ${formatMs(p99(c.ttft_later_turns))} ms`,
    '',
    'turn   requests  failed  TTFT p50 (ms)  TTFT p99 (ms)  latency p50 (ms)  ISL p50  cached',
  ];
  for (const t of c.per_turn) {
    const cached = t.cached_prompt_fraction === null ? 'n/a' : `${(t.cached_prompt_fraction * 100).toFixed(0)} %`;
    lines.push(
      t.turn.padEnd(7) +
        String(t.requests).padStart(8) +
        String(t.requests - t.completed).padStart(8) +
        formatMs(p50(t.ttft)).padStart(15) +
        formatMs(p99(t.ttft)).padStart(15) +
        formatMs(p50(t.latency)).padStart(18) +
        formatTokens(p50(t.input_tokens)).padStart(9) +
        cached.padStart(8),
    );
  }
  lines.push("  = later turns resend the whole history: a prompt cache shows as their TTFT below turn 1's");
  return lines.join('\n') + '\n';
}
