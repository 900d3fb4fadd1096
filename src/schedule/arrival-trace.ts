/**
 * Trace replay (--trace FILE): send times read from a file and replayed on the trace's own clock,
 * scaled by --time-scale. Two formats:
 * - plain text: one send time per line, in seconds (blank lines and `#` comments skipped);
 * - JSONL (.jsonl/.ndjson, or any file whose first line is an object): Mooncake's trace format,
 *   `{"timestamp": ms, "input_length": tokens, "output_length": tokens, "hash_ids": [...]}`; the
 *   lengths and prefix blocks, when present, shape each request's prompt (trace-prompts.ts).
 * Times are taken relative to the earliest one (a trace of Unix times starts at once) and sorted;
 * rows keep their order with their time (a stable sort), so row k is the k-th request sent.
 */
import { readFile } from 'node:fs/promises';
import { BadInputError, ErrorCode } from '../errors.js';

export interface TraceRow {
  /** Send time, ns after the first row's (before --time-scale). */
  offsetNs: number;
  /** Prompt length (tokens), when the trace gives it. */
  inputLength?: number;
  /** Output length (tokens): the request's max_tokens, when the trace gives it. */
  outputLength?: number;
  /** Mooncake prefix blocks (512 tokens each): rows sharing a leading id share that prompt prefix. */
  hashIds?: number[];
}

export interface ArrivalTrace {
  rows: TraceRow[];
  /** Whether rows carry lengths (then the trace makes the prompts, not the dataset). */
  hasLengths: boolean;
}

function bad(file: string, line: number | null, what: string): BadInputError {
  return new BadInputError(ErrorCode.traceFileInvalid, `--trace ${file}${line === null ? '' : `:${line}`}: ${what}`);
}

function count(file: string, line: number, row: Record<string, unknown>, key: string): number | undefined {
  const v = row[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw bad(file, line, `${key} must be an integer >= 0, got ${JSON.stringify(v)}`);
  return v;
}

function parseJsonRow(file: string, line: number, text: string): TraceRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad(file, line, 'not valid JSON (a JSONL trace has one object per line)');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad(file, line, 'expected an object like {"timestamp": 0, "input_length": 512, "output_length": 64}');
  const row = value as Record<string, unknown>;
  const ts = row.timestamp;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0)
    throw bad(file, line, `timestamp must be a number of ms >= 0, got ${JSON.stringify(ts)}`);
  const out: TraceRow = { offsetNs: ts * 1e6 };
  const input = count(file, line, row, 'input_length');
  const output = count(file, line, row, 'output_length');
  if (input !== undefined) out.inputLength = input;
  if (output !== undefined) {
    if (output === 0) throw bad(file, line, 'output_length must be at least 1');
    out.outputLength = output;
  }
  if (row.hash_ids !== undefined) {
    const ids = row.hash_ids;
    if (!Array.isArray(ids) || !ids.every((h) => Number.isSafeInteger(h)))
      throw bad(file, line, 'hash_ids must be an array of integers');
    out.hashIds = ids as number[];
  }
  return out;
}

/** Reads and checks the whole trace (exit 2 naming file:line on a bad line). */
export async function readArrivalTrace(file: string): Promise<ArrivalTrace> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw bad(file, null, `cannot read the file (${code}); check the path (relative to ${process.cwd()})`);
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const lines = text.split('\n');
  const firstData = lines.find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const jsonl = /\.(jsonl|ndjson)$/i.test(file) || (firstData?.trim().startsWith('{') ?? false);
  const rows: TraceRow[] = [];
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '' || (!jsonl && t.startsWith('#'))) continue;
    if (jsonl) {
      rows.push(parseJsonRow(file, i + 1, t));
      continue;
    }
    const seconds = /^\d+(\.\d*)?([eE][-+]?\d+)?$|^\.\d+$/.test(t) ? Number(t) : NaN;
    if (!Number.isFinite(seconds)) throw bad(file, i + 1, `"${t.slice(0, 40)}" is not a send time in seconds`);
    rows.push({ offsetNs: seconds * 1e9 });
  }
  if (rows.length === 0) throw bad(file, null, 'no send times in the file');
  // Array.prototype.sort is stable: rows with one time keep their file order.
  rows.sort((a, b) => a.offsetNs - b.offsetNs);
  const t0 = rows[0].offsetNs;
  for (const r of rows) r.offsetNs -= t0;
  return { rows, hasLengths: rows.some((r) => r.inputLength !== undefined || r.outputLength !== undefined) };
}

/** The send times, ns after the start, with --time-scale applied (0.5 replays twice as fast). */
export function traceOffsetsNs(trace: ArrivalTrace, timeScale: number, limit = Infinity): number[] {
  const n = Math.min(trace.rows.length, limit);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = trace.rows[i].offsetNs * timeScale;
  return out;
}
