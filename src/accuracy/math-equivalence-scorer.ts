/**
 * Right when two math answers are the same number or the same expression after normalizing
 * LaTeX: `\dfrac{1}{2}`, `1/2`, `0.5` and `$\frac12$` agree; `033` and `33` agree (AIME answers are
 * integers 0–999, and the reference reads the leading digits as an int).
 */
import type { Scorer } from './scorer.js';

/** LaTeX wrappers that do not change the value. */
function stripLatex(text: string): string {
  let s = text.trim();
  s = s.replace(/^\$+|\$+$/g, '');
  s = s.replace(/\\(?:left|right|displaystyle|!|,|;|:)/g, '');
  s = s.replace(/\\[dt]frac/g, '\\frac');
  s = s.replace(
    /\\text\{([^{}]*)\}|\\mathrm\{([^{}]*)\}/g,
    (_m, a: string | undefined, b: string | undefined) => a ?? b ?? '',
  );
  s = s.replace(/\^\{?\\circ\}?|°/g, '');
  // \frac{a}{b} and \frac ab → a/b
  s = s.replace(/\\frac\{([^{}]*)\}\{([^{}]*)\}/g, '($1)/($2)');
  s = s.replace(/\\frac(\d)(\d)/g, '$1/$2');
  s = s.replace(/\s+/g, '');
  s = s.replace(/\.$/, '');
  s = s.replace(/^\+/, '');
  // (3)/(4) → 3/4 when both sides are plain numbers
  s = s.replace(/\((-?[\d.]+)\)\/\((-?[\d.]+)\)/g, '$1/$2');
  return s;
}

/** The value of a plain number, decimal or fraction (`-3`, `0.25`, `1/4`, `1,000`), else null. */
export function numericValue(text: string): number | null {
  const s = stripLatex(text).replace(/(\d),(?=\d{3}\b)/g, '$1');
  const m = /^(-?\d+(?:\.\d+)?)(?:\/(-?\d+(?:\.\d+)?))?$/.exec(s);
  if (m === null) return null;
  const value = m[2] === undefined ? Number(m[1]) : Number(m[1]) / Number(m[2]);
  return Number.isFinite(value) ? value : null;
}

export function mathEquivalent(value: string, truth: string): boolean {
  const a = numericValue(value);
  const b = numericValue(truth);
  if (a !== null && b !== null) return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  return stripLatex(value) === stripLatex(truth);
}

export const mathEquivalenceScorer: Scorer = {
  id: 'math_equivalence',
  help: 'the same number or LaTeX expression after normalizing (1/2 = \\frac{1}{2} = 0.5, 033 = 33)',
  defaultExtractor: 'math_extractor',
  score: (value, truth) => (value !== null && mathEquivalent(value, truth) ? 1 : 0),
};
