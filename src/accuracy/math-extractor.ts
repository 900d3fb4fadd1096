/**
 * The final answer of a math solution with nested braces kept: the last `\boxed{…}` or
 * `\fbox{…}` read to its matching brace (`\boxed{\frac{1}{2}}` → `\frac{1}{2}`), else the last
 * number (integer, decimal or a/b). The reference's `boxed_math_extractor` stops at the first `}`
 * (`\frac{1`), which is right for AIME's integers only; use this one with `math_equivalence`.
 */
import type { Extractor } from './extractor.js';

const OPENERS = ['\\boxed{', '\\fbox{', '\\framebox{'];
const NUMBER = /-?\d+(?:\.\d+)?(?:\/\d+)?/g;

/** The text between `open` (at `at`) and its matching `}`, or null when it is never closed. */
function braced(text: string, at: number): string | null {
  let depth = 1;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) depth++;
    else if (c === 0x7d /* } */ && --depth === 0) return text.slice(at, i);
  }
  return null;
}

export function extractMathAnswer(text: string): string | null {
  let bestAt = -1;
  let bestOpener = '';
  for (const opener of OPENERS) {
    const at = text.lastIndexOf(opener);
    if (at > bestAt) {
      bestAt = at;
      bestOpener = opener;
    }
  }
  if (bestAt >= 0) {
    const inner = braced(text, bestAt + bestOpener.length);
    if (inner !== null && inner.trim() !== '') return inner.trim();
  }
  let last: string | null = null;
  for (const m of text.matchAll(NUMBER)) last = m[0];
  return last;
}

export const mathExtractor: Extractor = {
  id: 'math_extractor',
  help: 'the last \\boxed{…} read to its matching brace, else the last number (integer, decimal, a/b)',
  extract: extractMathAnswer,
};
