/**
 * A user's own pattern (`extractor: "regex:Answer is (\\w+)"` in YAML): the first capture group of
 * the LAST match (answers come at the end of reasoning), or the whole match when the pattern has
 * no group.
 */
import type { Extractor } from './extractor.js';

export const REGEX_PREFIX = 'regex:';

/** Throws Error with a message for the user when the pattern does not compile. */
export function regexExtractor(pattern: string): Extractor {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'gm');
  } catch (err) {
    throw new Error(`extractor "${REGEX_PREFIX}${pattern}": ${(err as Error).message}`, { cause: err });
  }
  return {
    id: REGEX_PREFIX + pattern,
    help: 'the first group of the last match of a pattern',
    extract(text) {
      let value: string | null = null;
      for (const m of text.matchAll(re)) value = m.length > 1 ? (m[1] ?? null) : m[0];
      return value;
    },
  };
}
