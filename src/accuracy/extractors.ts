/** Every extractor by its name: the one registry `accuracy_config.extractor` is looked up in. */
import { abcdExtractor } from './abcd-extractor.js';
import { boxedMathExtractor } from './boxed-math-extractor.js';
import type { Extractor } from './extractor.js';
import { identityExtractor } from './identity-extractor.js';
import { mathExtractor } from './math-extractor.js';
import { REGEX_PREFIX, regexExtractor } from './regex-extractor.js';
import { didYouMean } from '../config/did-you-mean.js';

export const EXTRACTORS: readonly Extractor[] = [abcdExtractor, boxedMathExtractor, mathExtractor, identityExtractor];

/** The extractor a name asks for; throws Error with the names there are. */
export function extractorByName(name: string): Extractor {
  if (name.startsWith(REGEX_PREFIX)) return regexExtractor(name.slice(REGEX_PREFIX.length));
  const found = EXTRACTORS.find((e) => e.id === name);
  if (found !== undefined) return found;
  const ids = EXTRACTORS.map((e) => e.id);
  const guess = didYouMean(name, ids);
  throw new Error(
    `unknown extractor "${name}"${guess === null ? '' : ` (did you mean ${guess}?)`}; ` +
      `there are ${ids.join(', ')}, and ${REGEX_PREFIX}PATTERN`,
  );
}
