/** The whole answer, unchanged (MLPerf Endpoints' `identity_extractor`): for string match and ROUGE. */
import type { Extractor } from './extractor.js';

export const identityExtractor: Extractor = {
  id: 'identity_extractor',
  help: 'the whole answer text, unchanged',
  extract: (text) => text,
};
