/**
 * A single-pass byte scanner for OpenAI stream chunks: it finds what the measurement needs — is
 * there generated content, what is the finish reason, is there a usage or error object — without
 * decoding the chunk to text or building objects, and reads the token counts of a `usage` object.
 * JSON.parse of every chunk was more than half of the client's CPU per SSE event (see
 * docs/PERFORMANCE.md); the rare chunks that carry an `error` are still parsed in full.
 *
 * Soundness: in JSON text an unescaped quote only ever delimits a string, so walking strings
 * (skipping backslash escapes) and looking at what follows each one finds exactly the object keys.
 * It checks structure only loosely (the chunk must be `{...}` with closed strings): a chunk that
 * breaks those is reported malformed; subtler syntax errors are not detected.
 */

export const enum ScanResult {
  Empty = 0,
  Token = 1,
  Malformed = 3,
  /** A usage or error object, or something the scanner does not handle: parse it in full. */
  NeedsParse = 5,
}

export interface ScanOutput {
  /** Set when the chunk has a string finish_reason. */
  finishReason: string;
  /**
   * Set to the offset of the `"choices"` key when nothing before it mattered (no token, usage or
   * error key), else -1: that prefix — the chunk's envelope — can be skipped in later chunks of
   * the same stream when its bytes are identical.
   */
  choicesAt: number;
  /** From a `usage` object, when the chunk has one (left as is otherwise). */
  promptTokens: number;
  completionTokens: number;
  /** usage.prompt_tokens_details.cached_tokens (llama.cpp, vLLM, OpenAI), when present. */
  cachedTokens: number;
  /** Set when the chunk has a `choices` key. */
  sawChoices: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const LETTER_N = 0x6e;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function keyIs(buf: Buffer, s: number, key: Uint8Array): boolean {
  for (let k = 1; k < key.length; k++) if (buf[s + k] !== key[k]) return false;
  return true;
}

const K_CONTENT = Buffer.from('content');
const K_CHOICES = Buffer.from('choices');
const K_TEXT = Buffer.from('text');
const K_REASONING = Buffer.from('reasoning');
const K_REASONING_CONTENT = Buffer.from('reasoning_content');
const K_TOOL_CALLS = Buffer.from('tool_calls');
const K_FINISH_REASON = Buffer.from('finish_reason');
const K_FUNCTION_CALL = Buffer.from('function_call');
const K_USAGE = Buffer.from('usage');
const K_PROMPT_TOKENS = Buffer.from('prompt_tokens');
const K_COMPLETION_TOKENS = Buffer.from('completion_tokens');
const K_CACHED_TOKENS = Buffer.from('cached_tokens');
const K_ERROR = Buffer.from('error');

/** Is the quote at q escaped (preceded by an odd number of backslashes, not before s)? */
function escapedQuote(buf: Buffer, s: number, q: number): boolean {
  let n = 0;
  for (let k = q - 1; k >= s && buf[k] === BACKSLASH; k--) n++;
  return (n & 1) === 1;
}

/** The non-negative integer at j, or -1 when the value is not one. */
function integerAt(buf: Buffer, j: number, end: number): number {
  let n = 0;
  let k = j;
  for (; k < end; k++) {
    const d = buf[k] - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  return k === j ? -1 : n;
}

/** Does the value at j start a non-empty string? */
function nonEmptyString(buf: Buffer, j: number, end: number): boolean {
  return j + 1 < end && buf[j] === QUOTE && buf[j + 1] !== QUOTE;
}

/** Does the value at j start a non-empty array? */
function nonEmptyArray(buf: Buffer, j: number, end: number): boolean {
  if (buf[j] !== OPEN_BRACKET) return false;
  j++;
  while (j < end && isSpace(buf[j])) j++;
  return j < end && buf[j] !== CLOSE_BRACKET;
}

/**
 * Scan buf[start, end). `from` (≥ start) is where the walk begins: start, or the end of an
 * envelope known to be identical to one already scanned (then it is the `"choices"` key).
 */
export function scanChunk(buf: Buffer, start: number, from: number, end: number, out: ScanOutput): ScanResult {
  // First: a Malformed return below must not leave an envelope offset from an earlier chunk.
  out.choicesAt = -1;
  let i = start;
  while (i < end && isSpace(buf[i])) i++;
  let last = end - 1;
  while (last > i && isSpace(buf[last])) last--;
  if (i >= end || buf[i] !== OPEN_BRACE || buf[last] !== CLOSE_BRACE) return ScanResult.Malformed;
  if (from > i) i = from;
  let token = false;
  let inChoices = false;
  let inUsage = false;
  let plain = from === start;
  // Nesting depth outside strings: the top-level object is 1 (an envelope skip resumes there).
  let depth = from > start ? 1 : 0;
  while (i < last) {
    const b = buf[i];
    if (b !== QUOTE) {
      if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
      i++;
      continue;
    }
    const s = i + 1;
    // memchr for the closing quote; a quote preceded by an odd run of backslashes is escaped.
    i = buf.indexOf(QUOTE, s);
    while (i > 0 && i < last && buf[i - 1] === BACKSLASH && escapedQuote(buf, s, i)) i = buf.indexOf(QUOTE, i + 1);
    if (i < 0 || i >= last) return ScanResult.Malformed; // an unterminated string
    const len = i - s;
    i++;
    let j = i;
    while (j < last && isSpace(buf[j])) j++;
    if (buf[j] !== COLON) continue; // a string value, not a key
    j++;
    while (j < last && isSpace(buf[j])) j++;
    switch (len) {
      case 4:
        if (inChoices && buf[s] === 0x74 && keyIs(buf, s, K_TEXT) && nonEmptyString(buf, j, last)) token = true;
        break;
      case 5:
        if (buf[s] === 0x75 && keyIs(buf, s, K_USAGE)) {
          if (buf[j] === OPEN_BRACE) {
            inUsage = true;
            plain = false;
          }
        } else if (buf[s] === 0x65 && keyIs(buf, s, K_ERROR)) {
          if (buf[j] !== LETTER_N) return ScanResult.NeedsParse;
        }
        break;
      case 7:
        if (buf[s] === 0x63) {
          if (keyIs(buf, s, K_CONTENT)) {
            if (nonEmptyString(buf, j, last)) token = true;
          } else if (depth === 1 && keyIs(buf, s, K_CHOICES)) {
            inChoices = true;
            // A response has choices only as a top-level array.
            if (buf[j] === OPEN_BRACKET) out.sawChoices = true;
            if (plain && !token) out.choicesAt = s - 1;
            plain = false;
          }
        }
        break;
      case 9:
        if (buf[s] === 0x72 && keyIs(buf, s, K_REASONING) && nonEmptyString(buf, j, last)) token = true;
        break;
      case 10:
        if (buf[s] === 0x74 && keyIs(buf, s, K_TOOL_CALLS) && nonEmptyArray(buf, j, last)) token = true;
        break;
      case 13:
        if (buf[s] === 0x66) {
          if (keyIs(buf, s, K_FINISH_REASON)) {
            if (buf[j] === QUOTE) {
              // Finish reasons are plain words: no escapes to handle.
              const e = buf.indexOf(QUOTE, j + 1);
              if (e < 0 || e > last) return ScanResult.Malformed;
              out.finishReason = buf.toString('latin1', j + 1, e);
            }
          } else if (keyIs(buf, s, K_FUNCTION_CALL) && buf[j] !== LETTER_N) {
            token = true;
          }
        } else if (inUsage && buf[s] === 0x70 && keyIs(buf, s, K_PROMPT_TOKENS)) {
          const n = integerAt(buf, j, last);
          if (n >= 0) out.promptTokens = n;
        } else if (inUsage && buf[s] === 0x63 && keyIs(buf, s, K_CACHED_TOKENS)) {
          // Inside usage.prompt_tokens_details: the only cached_tokens key a usage object has.
          const n = integerAt(buf, j, last);
          if (n >= 0) out.cachedTokens = n;
        }
        break;
      case 17:
        if (buf[s] === 0x72) {
          if (keyIs(buf, s, K_REASONING_CONTENT) && nonEmptyString(buf, j, last)) token = true;
        } else if (inUsage && buf[s] === 0x63 && keyIs(buf, s, K_COMPLETION_TOKENS)) {
          const n = integerAt(buf, j, last);
          if (n >= 0) out.completionTokens = n;
        }
        break;
    }
    i = j;
  }
  return token ? ScanResult.Token : ScanResult.Empty;
}
