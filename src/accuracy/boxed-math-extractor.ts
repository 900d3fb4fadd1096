/**
 * The final answer of a math solution, as MLPerf Endpoints' `boxed_math_extractor` (gpt-oss's
 * AIME grader) finds it: the last non-empty `\boxed{…}` or `\framebox{…}` (its last
 * comma-separated part), else the last integer in the text.
 */
import type { Extractor } from './extractor.js';

const BOXED = /boxed\{([\s\S]*?)\}|framebox\{([\s\S]*?)\}/g;
const INTEGER = /\d+/g;

export function extractBoxedMath(text: string): string | null {
  let last: string | null = null;
  for (const m of text.matchAll(BOXED)) {
    // Python's findall gives both groups; the reference takes the first non-empty one of the
    // last match that has one.
    const group = m[1] !== undefined && m[1] !== '' ? m[1] : m[2] !== undefined && m[2] !== '' ? m[2] : null;
    if (group !== null) last = group;
  }
  if (last !== null) {
    const parts = last.split(',');
    return parts[parts.length - 1].trim();
  }
  let integer: string | null = null;
  for (const m of text.matchAll(INTEGER)) integer = m[0];
  return integer;
}

export const boxedMathExtractor: Extractor = {
  id: 'boxed_math_extractor',
  help: 'the last \\boxed{…} (or \\framebox{…}) of a math answer, else its last integer',
  extract: extractBoxedMath,
};
