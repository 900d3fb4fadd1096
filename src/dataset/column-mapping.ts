/**
 * Turns one parsed dataset row into a Sample, whatever common column names it uses. Every error
 * starts with `where` ("data.jsonl:17" or "data.json[3]") so the user can find the row.
 */
import { BadInputError, ErrorCode } from '../errors.js';
import type { ChatMessage, ChatRole, Sample } from './sample.js';
import { printable } from './printable-text.js';
import { fillPromptTemplate } from './prompt-template.js';

/**
 * Plain-text prompt columns, in priority order: the first one present wins. `prompt` (the name
 * MLPerf Endpoints renames to), then MLPerf Endpoints' own candidates in its order
 * (MakeAdapterCompatible in dataset_manager/transforms.py), then `text_input`, which MLPerf
 * Endpoints only reads through `parser.prompt`: on its ds_samples.jsonl (both columns) it sends
 * `question`, and so does this.
 */
export const PROMPT_COLUMNS = [
  'prompt',
  'user_prompt',
  'question',
  'input',
  'input_text',
  'problem',
  'query',
  'text_input',
] as const;
/** Chat column: an array of {role, content}; takes priority over the plain-text columns. */
export const MESSAGES_COLUMN = 'messages';
/** ShareGPT's column: an array of {from, value}; after `messages`, before the plain-text columns. */
export const SHAREGPT_COLUMN = 'conversations';
/** ShareGPT speakers (lower-cased) and the chat role each is sent as. */
const SHAREGPT_ROLES: Readonly<Record<string, ChatRole>> = {
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
  chatgpt: 'assistant',
  bard: 'assistant',
  bing: 'assistant',
  model: 'assistant',
  system: 'system',
  tool: 'tool',
  function: 'tool',
  observation: 'tool',
};
/** Per-row output cap columns, in priority order. */
export const OUTPUT_CAP_COLUMNS = ['max_tokens', 'max_output_tokens', 'output_len'] as const;

export const CHAT_ROLES: readonly ChatRole[] = ['system', 'user', 'assistant', 'tool', 'developer'];

/** Keys listed in a "no prompt column" error before eliding the rest (wide rows are common). */
const MAX_KEYS_SHOWN = 20;

type Row = Record<string, unknown>;

/**
 * Rows per prompt column actually used (`messages`, a named column, …), for saying on the console
 * which column the prompts came from.
 */
export type ColumnTally = Map<string, number>;

/** Columns named by the user (MLPerf Endpoints' `parser: {prompt, system}`) instead of the defaults above. */
export interface ColumnMap {
  prompt?: string;
  system?: string;
  /** The prompt as a template over the row's columns (`{question}\n(A) {choice1}…`); wins over `prompt`. */
  promptTemplate?: string;
  /** Accuracy datasets: the column holding each row's right answer. */
  groundTruth?: string;
}

export function sampleFromRow(row: unknown, where: string, columns?: ColumnMap, tally?: ColumnTally): Sample {
  if (!isPlainObject(row)) {
    const hint = Array.isArray(row) ? ' If the whole file is one JSON array, give it a .json extension.' : '';
    throw new BadInputError(
      ErrorCode.datasetRowNotObject,
      `${where}: expected a JSON object, got ${describe(row)}.${hint}`,
    );
  }
  const maxOutputTokens = readOutputCap(row, where);
  let sample: Sample;
  let column: string;
  if (columns?.promptTemplate !== undefined) {
    column = 'prompt template';
    sample = { prompt: fillPromptTemplate(columns.promptTemplate, row, where) };
  } else if (columns !== undefined && (columns.prompt !== undefined || columns.system !== undefined)) {
    column = columns.prompt ?? promptColumnOf(row);
    sample = sampleFromColumns(row, where, columns);
  } else if (isPresent(row[MESSAGES_COLUMN])) {
    column = MESSAGES_COLUMN;
    sample = sampleFromMessages(row[MESSAGES_COLUMN], where);
  } else if (isPresent(row[SHAREGPT_COLUMN])) {
    column = SHAREGPT_COLUMN;
    sample = sampleFromShareGpt(row[SHAREGPT_COLUMN], where);
  } else {
    column = promptColumnOf(row);
    sample = { prompt: readPromptColumn(row, where) };
  }
  if (tally !== undefined) tally.set(column, (tally.get(column) ?? 0) + 1);
  if (maxOutputTokens !== undefined) sample = { ...sample, maxOutputTokens };
  if (columns?.groundTruth !== undefined)
    sample = { ...sample, groundTruth: readGroundTruth(row, columns.groundTruth, where) };
  return sample;
}

/** An accuracy row's answer: a string, or a number or boolean written as text (AIME's answers are ints). */
function readGroundTruth(row: Row, column: string, where: string): string {
  const value = row[column];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  throw new BadInputError(
    ErrorCode.datasetNoGroundTruth,
    value === undefined || value === null
      ? `${where}: no ground truth in column '${column}'. This row has keys: ${listKeys(row)}. ` +
          'Name the answer column with accuracy_config.ground_truth (or ground_truth= in --dataset).'
      : `${where}: ground truth column '${column}' must be a string or a number, got ${describe(value)}.`,
  );
}

/** The prompt column a row without a mapping uses ('' when it has none; readPromptColumn then throws). */
function promptColumnOf(row: Row): string {
  return PROMPT_COLUMNS.find((name) => isPresent(row[name])) ?? '';
}

/** `'question' (1000 rows)`, or `'question' (900 rows), 'messages' (100 rows)`: which columns the prompts came from. */
export function describeTally(tally: ColumnTally): string {
  return [...tally]
    .sort((a, b) => b[1] - a[1])
    .map(([column, rows]) => `'${printable(column, 40)}' (${rows} row${rows === 1 ? '' : 's'})`)
    .join(', ');
}

function sampleFromColumns(row: Row, where: string, columns: ColumnMap): Sample {
  const prompt =
    columns.prompt !== undefined ? readNamedColumn(row, columns.prompt, where) : readPromptColumn(row, where);
  if (columns.system === undefined || !isPresent(row[columns.system])) return { prompt };
  const system = readNamedColumn(row, columns.system, where);
  return {
    prompt,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: prompt },
    ],
  };
}

function readNamedColumn(row: Row, column: string, where: string): string {
  const value = row[column];
  if (value === undefined) {
    throw new BadInputError(
      ErrorCode.datasetNoPromptColumn,
      `${where}: no column '${column}' (named by parser). This row has keys: ${listKeys(row)}.`,
    );
  }
  if (typeof value !== 'string') {
    throw new BadInputError(
      ErrorCode.datasetInvalidPrompt,
      `${where}: column '${column}' must be a string, got ${describe(value)}.`,
    );
  }
  return value;
}

function sampleFromMessages(value: unknown, where: string): Sample {
  const messages = readMessages(value, where);
  // The last user turn is what a completions request (and a preview) should show; a
  // conversation without a user turn falls back to its last message.
  const lastUser = messages.findLast((m) => m.role === 'user') ?? messages[messages.length - 1];
  return { prompt: lastUser.content, messages };
}

/**
 * A ShareGPT conversation read single-turn: the first human turn is the prompt, a system turn
 * before it the system prompt (as vLLM's and SGLang's benchmark scripts read ShareGPT). With more
 * than one human turn the whole conversation is kept as `turns` for a multi-turn runner.
 */
function sampleFromShareGpt(value: unknown, where: string): Sample {
  if (!Array.isArray(value)) {
    throw new BadInputError(
      ErrorCode.datasetInvalidConversation,
      `${where}: column '${SHAREGPT_COLUMN}' must be an array of {from, value} turns, got ${describe(value)}.`,
    );
  }
  const turns: ChatMessage[] = value.map((turn: unknown, index) => {
    const at = `${where}: ${SHAREGPT_COLUMN}[${index}]`;
    if (!isPlainObject(turn)) {
      throw new BadInputError(
        ErrorCode.datasetInvalidConversation,
        `${at} must be a {from, value} object, got ${describe(turn)}.`,
      );
    }
    const from = typeof turn.from === 'string' ? turn.from.toLowerCase() : undefined;
    const role = from !== undefined && Object.hasOwn(SHAREGPT_ROLES, from) ? SHAREGPT_ROLES[from] : undefined;
    if (role === undefined) {
      throw new BadInputError(
        ErrorCode.datasetInvalidConversation,
        `${at}.from must be one of ${Object.keys(SHAREGPT_ROLES)
          .map((r) => `'${r}'`)
          .join(', ')}, got ${typeof turn.from === 'string' ? `'${printable(turn.from, 40)}'` : describe(turn.from)}.`,
      );
    }
    if (typeof turn.value !== 'string') {
      throw new BadInputError(
        ErrorCode.datasetInvalidConversation,
        `${at}.value must be a string, got ${describe(turn.value)}.`,
      );
    }
    return { role, content: turn.value };
  });
  const first = turns.findIndex((t) => t.role === 'user');
  if (first < 0) {
    throw new BadInputError(
      ErrorCode.datasetInvalidConversation,
      `${where}: column '${SHAREGPT_COLUMN}' has no human turn (from: 'human'). Give every conversation one, or remove the row.`,
    );
  }
  const prompt = turns[first].content;
  const system = turns.slice(0, first).find((t) => t.role === 'system');
  const sample: Sample = { prompt };
  if (system !== undefined) sample.messages = [system, { role: 'user', content: prompt }];
  if (turns.filter((t) => t.role === 'user').length > 1) sample.turns = turns;
  return sample;
}

function readPromptColumn(row: Row, where: string): string {
  const column = PROMPT_COLUMNS.find((name) => isPresent(row[name]));
  if (column === undefined) {
    const nullColumn = PROMPT_COLUMNS.find((name) => row[name] === null);
    if (nullColumn !== undefined) {
      throw new BadInputError(
        ErrorCode.datasetInvalidPrompt,
        `${where}: column '${nullColumn}' is null. Give every row a prompt string, or remove the row.`,
      );
    }
    throw new BadInputError(
      ErrorCode.datasetNoPromptColumn,
      `${where}: no prompt column. Add one of ${[...PROMPT_COLUMNS, MESSAGES_COLUMN, SHAREGPT_COLUMN]
        .map((c) => `'${c}'`)
        .join(
          ', ',
        )} ('${MESSAGES_COLUMN}' is an array of {role, content}, '${SHAREGPT_COLUMN}' ShareGPT's {from, value}), ` +
        `or name the column with parser.prompt=COL. This row has keys: ${listKeys(row)}.`,
    );
  }
  const value = row[column];
  if (typeof value !== 'string') {
    throw new BadInputError(
      ErrorCode.datasetInvalidPrompt,
      `${where}: column '${column}' must be a string, got ${describe(value)}.`,
    );
  }
  return value;
}

function readMessages(value: unknown, where: string): ChatMessage[] {
  if (!Array.isArray(value)) {
    throw new BadInputError(
      ErrorCode.datasetInvalidMessages,
      `${where}: column '${MESSAGES_COLUMN}' must be an array of {role, content} objects, got ${describe(value)}.`,
    );
  }
  if (value.length === 0) {
    throw new BadInputError(
      ErrorCode.datasetInvalidMessages,
      `${where}: column '${MESSAGES_COLUMN}' is empty. Give at least one {role, content} message.`,
    );
  }
  return value.map((message, index) => readMessage(message, `${where}: ${MESSAGES_COLUMN}[${index}]`));
}

function readMessage(value: unknown, where: string): ChatMessage {
  if (!isPlainObject(value)) {
    throw new BadInputError(
      ErrorCode.datasetInvalidMessages,
      `${where} must be a {role, content} object, got ${describe(value)}.`,
    );
  }
  const role = value.role;
  if (typeof role !== 'string' || !isChatRole(role)) {
    throw new BadInputError(
      ErrorCode.datasetInvalidMessages,
      `${where}.role must be one of ${CHAT_ROLES.map((r) => `'${r}'`).join(', ')}, got ${describe(role)}.`,
    );
  }
  return { role, content: readContent(value.content, `${where}.content`) };
}

/** Content is a string or an array of {type:'text', text} parts, joined with ''. */
function readContent(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) {
    throw new BadInputError(
      ErrorCode.datasetInvalidMessages,
      `${where} must be a string or an array of {type: 'text', text} parts, got ${describe(value)}.`,
    );
  }
  return value
    .map((part, index) => {
      if (!isPlainObject(part) || part.type !== 'text' || typeof part.text !== 'string') {
        const type = isPlainObject(part) && typeof part.type === 'string' ? ` of type '${part.type}'` : '';
        throw new BadInputError(
          ErrorCode.datasetInvalidMessages,
          `${where}[${index}]: only {type: 'text', text: string} parts are supported, got ${describe(part)}${type}. ` +
            'Remove non-text parts or flatten the content to a string.',
        );
      }
      return part.text;
    })
    .join('');
}

function readOutputCap(row: Row, where: string): number | undefined {
  // null means "no cap for this row" (common in exports from dataframes), so it counts as absent.
  const column = OUTPUT_CAP_COLUMNS.find((name) => isPresent(row[name]));
  if (column === undefined) return undefined;
  // Parquet and Arrow give 64-bit integer columns as bigint.
  const raw = row[column];
  const value = typeof raw === 'bigint' && raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new BadInputError(
      ErrorCode.datasetInvalidOutputCap,
      `${where}: column '${column}' must be a positive integer, got ${describe(value)}. Fix the value or use null for no cap.`,
    );
  }
  return value;
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function isPlainObject(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isChatRole(value: string): value is ChatRole {
  return (CHAT_ROLES as readonly string[]).includes(value);
}

function listKeys(row: Row): string {
  const keys = Object.keys(row);
  if (keys.length === 0) return '(none)';
  // Keys come from the file: a 5 MB or binary key is shown cut and escaped.
  const shown = keys.slice(0, MAX_KEYS_SHOWN).map((k) => `'${printable(k, 40)}'`);
  const rest = keys.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}

/** A short description of a JSON value for error messages, without dumping large values. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'bigint':
      return `the number ${value}`;
    case 'string':
      return 'a string';
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return `${value}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
