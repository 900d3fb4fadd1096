/**
 * Reads a dataset of conversations for --multi-turn. Three row shapes, told apart per row:
 * - MLPerf Endpoints' agentic rows: one message per row, `{conversation_id, turn, role, content}`
 *   (+ `system`, `tool_calls`, `tool_results`, `max_new_tokens`), turns 1…N per conversation, roles
 *   following user → assistant → (tool → assistant)* → user (their _validate_conversation_structure);
 * - ShareGPT: `{id?, conversations: [{from: human|gpt|system, value}]}` — one row per conversation;
 * - OpenAI chat: `{messages: [{role, content}]}` with several user turns — one row per conversation.
 * Client turns are the user (and tool) messages; the assistant message after each is the dataset's
 * answer. Consecutive user messages are one turn (joined by a newline, as MLPerf's converter does).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { BadInputError, ErrorCode } from '../errors.js';
import { datasetFileError } from '../dataset/dataset-file-error.js';
import { readLines } from '../dataset/read-lines.js';
import type { Conversation, ConversationTurn, WireMessage } from './conversation.js';

interface Row {
  value: Record<string, unknown>;
  /** `file:line` (JSONL) or `file: row N` (JSON array). */
  where: string;
}

/** ShareGPT's speaker names → OpenAI roles. */
const SHAREGPT_ROLES: Readonly<Record<string, string>> = {
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  chatgpt: 'assistant',
  bard: 'assistant',
  bing: 'assistant',
  assistant: 'assistant',
  model: 'assistant',
  system: 'system',
  tool: 'tool',
};

export async function readConversations(path: string, format?: string): Promise<Conversation[]> {
  const ext = format !== undefined ? '.' + format.replace(/^\./, '').toLowerCase() : extname(path).toLowerCase();
  const rows = ext === '.json' ? await jsonRows(path) : await jsonlRows(path);
  const conversations: Conversation[] = [];
  /** MLPerf rows, grouped by conversation_id in order of first appearance. */
  const grouped = new Map<string, Row[]>();
  for (const row of rows) {
    const v = row.value;
    if ('conversation_id' in v && 'role' in v) {
      const id = String(v.conversation_id);
      let group = grouped.get(id);
      if (group === undefined) {
        group = [];
        grouped.set(id, group);
        // Placeholder keeps the conversation's place in file order; filled below.
        conversations.push({ id, turns: [] });
      }
      group.push(row);
    } else if (Array.isArray(v.conversations)) {
      conversations.push(fromMessages(row, sharegptMessages(row), String(v.id ?? rows.indexOf(row) + 1)));
    } else if (Array.isArray(v.messages)) {
      conversations.push(
        fromMessages(row, openaiMessages(row), String(v.id ?? v.conversation_id ?? rows.indexOf(row) + 1)),
      );
    } else {
      bad(
        row.where,
        'not a conversation: give conversation_id/turn/role/content (MLPerf Endpoints agentic rows), conversations[{from, value}] (ShareGPT) or messages[{role, content}]',
      );
    }
  }
  for (const c of conversations) {
    const group = grouped.get(c.id);
    if (group !== undefined && c.turns.length === 0) Object.assign(c, fromAgenticRows(c.id, group));
  }
  const usable = conversations.filter((c) => c.turns.length > 0);
  if (usable.length === 0) {
    throw new BadInputError(
      ErrorCode.datasetEmpty,
      `${path}: no conversation with a user turn. Add rows, or run without --multi-turn.`,
    );
  }
  return usable;
}

async function jsonlRows(path: string): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const { text, lineNumber } of readLines(path)) {
    if (text.trim() === '') continue;
    const where = `${path}:${lineNumber}`;
    rows.push({ value: asObject(parse(text, where), where), where });
  }
  return rows;
}

async function jsonRows(path: string): Promise<Row[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw datasetFileError(path, err);
  }
  const all = parse(text, path);
  if (!Array.isArray(all)) {
    throw new BadInputError(
      ErrorCode.datasetJsonNotArray,
      `${path}: a .json conversation dataset must be one array of rows.`,
    );
  }
  return all.map((v, i) => {
    const where = `${path}: row ${i + 1}`;
    return { value: asObject(v, where), where };
  });
}

function parse(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BadInputError(
      ErrorCode.datasetInvalidJson,
      `${where}: invalid JSON (${(err as Error).message.slice(0, 200)}).`,
      { cause: err },
    );
  }
}

function asObject(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new BadInputError(ErrorCode.datasetRowNotObject, `${where}: a row must be a JSON object.`);
  }
  return v as Record<string, unknown>;
}

function bad(where: string, what: string): never {
  throw new BadInputError(ErrorCode.conversationInvalid, `${where}: ${what}.`);
}

function sharegptMessages(row: Row): WireMessage[] {
  return (row.value.conversations as unknown[]).map((m, i) => {
    if (typeof m !== 'object' || m === null) bad(row.where, `conversations[${i}] is not an object`);
    const { from, value } = m as { from?: unknown; value?: unknown };
    const role = typeof from === 'string' ? SHAREGPT_ROLES[from.toLowerCase()] : undefined;
    if (role === undefined)
      bad(row.where, `conversations[${i}].from is ${JSON.stringify(from)}; expected human, gpt or system`);
    if (typeof value !== 'string') bad(row.where, `conversations[${i}].value is not a string`);
    return { role, content: value };
  });
}

function openaiMessages(row: Row): WireMessage[] {
  return (row.value.messages as unknown[]).map((m, i) => {
    if (typeof m !== 'object' || m === null || typeof (m as WireMessage).role !== 'string') {
      bad(row.where, `messages[${i}] has no role`);
    }
    const msg = m as WireMessage;
    if (typeof msg.content !== 'string' && !(msg.content === null && msg.role === 'assistant')) {
      bad(row.where, `messages[${i}].content is not a string`);
    }
    return msg;
  });
}

/**
 * A conversation another reader produced as one message list (dataset/ readers of CSV, Parquet and
 * save_to_disk give ShareGPT rows as `Sample.turns`); `where` names the row in errors.
 */
export function conversationFromMessages(messages: readonly WireMessage[], id: string, where: string): Conversation {
  return fromMessages(
    { value: {}, where },
    messages.map((m) => ({ ...m })),
    id,
  );
}

/** A whole conversation as one message list → turns (leading assistant messages are dropped). */
function fromMessages(row: Row, messages: WireMessage[], id: string): Conversation {
  const c: Conversation = { id, turns: [] };
  let turn: ConversationTurn | null = null;
  for (const m of messages) {
    if (m.role === 'system') {
      if (c.system === undefined && c.turns.length === 0) c.system = m.content ?? '';
      continue;
    }
    if (m.role === 'assistant') {
      if (turn === null) continue;
      turn.answer = m;
      turn = null;
      continue;
    }
    if (m.role !== 'user' && m.role !== 'tool')
      bad(row.where, `role ${JSON.stringify(m.role)} is not user, assistant, system or tool`);
    if (turn !== null && turn.messages.length > 0) {
      const last = turn.messages[turn.messages.length - 1];
      if (last.role === 'user' && m.role === 'user') {
        last.content = `${last.content}\n${m.content}`;
        continue;
      }
      turn.messages.push(m);
      continue;
    }
    turn = { messages: [m] };
    c.turns.push(turn);
  }
  return c;
}

/** Allowed next roles (MLPerf Endpoints' state machine: start → user → assistant → tool|user, tool → assistant|user). */
const NEXT: Readonly<Record<string, readonly string[]>> = {
  start: ['user'],
  user: ['assistant'],
  assistant: ['tool', 'user'],
  tool: ['assistant', 'user'],
};

function fromAgenticRows(id: string, rows: Row[]): Omit<Conversation, 'id'> {
  const sorted = [...rows].sort((a, b) => Number(a.value.turn) - Number(b.value.turn));
  const c: Omit<Conversation, 'id'> = { turns: [] };
  let previous = 'start';
  let turn: ConversationTurn | null = null;
  sorted.forEach((row, i) => {
    const v = row.value;
    if (v.turn !== i + 1)
      bad(
        row.where,
        `conversation ${JSON.stringify(id)}: turn ${JSON.stringify(v.turn)} where ${i + 1} was expected (turns are 1, 2, …, N)`,
      );
    const role = String(v.role);
    if (!(NEXT[previous] ?? []).includes(role)) {
      bad(
        row.where,
        `conversation ${JSON.stringify(id)} turn ${i + 1}: role ${role} cannot follow ${previous} (expected ${(NEXT[previous] ?? []).join(' or ')})`,
      );
    }
    previous = role;
    if (typeof v.system === 'string' && c.system === undefined) c.system = v.system;
    const cap = v.max_new_tokens ?? v.max_completion_tokens;
    if (role === 'assistant') {
      const answer: WireMessage = { role, content: typeof v.content === 'string' ? v.content : null };
      if (Array.isArray(v.tool_calls)) answer.tool_calls = v.tool_calls;
      if (turn !== null) turn.answer = answer;
      turn = null;
      return;
    }
    let messages: WireMessage[];
    if (role === 'tool') {
      if (!Array.isArray(v.tool_results)) bad(row.where, 'a tool row needs tool_results[{tool_call_id, content}]');
      messages = (v.tool_results as { tool_call_id?: unknown; content?: unknown }[]).map((r) => ({
        role: 'tool',
        tool_call_id: String(r.tool_call_id),
        content: String(r.content),
      }));
    } else {
      if (typeof v.content !== 'string') bad(row.where, 'a user row needs content (a string)');
      messages = [{ role, content: v.content }];
    }
    turn = { messages };
    if (Number.isInteger(cap) && (cap as number) > 0) turn.maxOutputTokens = cap as number;
    c.turns.push(turn);
  });
  return c;
}
