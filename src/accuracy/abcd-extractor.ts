/**
 * The letter of a multiple-choice answer, as MLPerf Endpoints' `abcd_extractor` finds it (itself
 * OpenAI gpt-oss's `extract_abcd`): patterns in priority order, the best priority wins and, within
 * one priority, the shortest match; then the first character after a leading `**`. Returns the
 * letter (`A`–`D`); the reference maps it to a column name (`choice1`…) because its GPQA rows
 * name the right column, so a ground truth of `choice3`, `C`, `c` or `(C)` all read as `C`.
 */
import type { Extractor } from './extractor.js';

const WRAP = String.raw`(?:\*{1,2}|_{1,2})`;

/**
 * Python's verbose patterns rewritten for JS (no `x` flag); `(?i)` in the reference became the `i`
 * flag, its re.MULTILINE the `m` flag. Order is priority.
 */
const PATTERNS: readonly RegExp[] = [
  // **Answer:** A — markdown-wrapped "Answer(s)" with an unwrapped letter.
  new RegExp(String.raw`${WRAP}Answers?\s*[:\-–]?${WRAP}\s*([ABCD])\b`, 'i'),
  // A line "Answer: C" with optional markdown around the word and the letter.
  new RegExp(String.raw`^\s*${WRAP}?Answer:?${WRAP}?\s*:?\s*${WRAP}?([ABCD])${WRAP}?\s*`, 'im'),
  // Answer: (C)
  /\bAnswers?\b\s*[:\-–]?\s*\(\s*([ABCD])\s*\)/i,
  // Answer: C
  /\bAnswers?\b\s*[:\-–]?\s*([ABCD])\b/i,
  // Option B, Choice: C
  /\b(?:Option|Choice)\b\s*[:\-–]?\s*([ABCD])\b/i,
  // \boxed{A}, \boxed{\text{A } 2.08…}
  /\\boxed\{[^}]*?([ABCD])[^}]*\}/m,
  // \boxed{\textbf{C}}
  /\\boxed\{[^}]*?\\textbf\{[^}]*?([ABCD])[^}]*\}[^}]*\}/m,
  // \boxed{\text{C}}
  /\\boxed\{[^}]*?\\text\{[^}]*?([ABCD])[^}]*\}[^}]*\}/m,
  // (A) or [B] standing alone
  /(?<![A-Za-z0-9])[([]\s*([ABCD])\s*[)\]](?![A-Za-z0-9])/,
  // *A*, **B**, _C_, __D__
  new RegExp(String.raw`(?<![A-Za-z0-9])${WRAP}([ABCD])${WRAP}(?![A-Za-z0-9])`),
  // \textbf{C}
  /\\textbf\{[^}]*?([ABCD])[^}]*\}/,
  // **D) the description**
  new RegExp(String.raw`(?<![A-Za-z0-9])${WRAP}\s*([ABCD])\)[^*_\n]+?${WRAP}(?![A-Za-z0-9])`),
  // A line that starts with the letter: "A", "B.", "C)", "**D**"
  new RegExp(String.raw`^\s*${WRAP}?([ABCD])${WRAP}?\s*[.)\-–:]?\s*.*$`, 'm'),
];

export function extractAbcd(text: string): string | null {
  // The reference sorts matches by (pattern priority, length) and takes the first; each pattern
  // yields at most one match, so the first pattern that matches decides.
  for (const pattern of PATTERNS) {
    const m = pattern.exec(text);
    if (m !== null) return m[1].toUpperCase();
  }
  const stripped = text.startsWith('**') ? text.slice(2) : text;
  const first = stripped.charAt(0).toUpperCase();
  return first !== '' && 'ABCD'.includes(first) ? first : null;
}

export const abcdExtractor: Extractor = {
  id: 'abcd_extractor',
  help: 'the letter A–D of a multiple-choice answer ("Answer: C", "(C)", "**C**", \\boxed{C}, a line starting with it)',
  extract: extractAbcd,
  normalizeTruth(truth) {
    const t = truth.trim();
    const choice = /^choice([1-4])$/i.exec(t);
    if (choice !== null) return 'ABCD'[Number(choice[1]) - 1];
    const letter = /^[([]?\s*([ABCD])\s*[)\].]?$/i.exec(t);
    return letter !== null ? letter[1].toUpperCase() : t;
  },
};
