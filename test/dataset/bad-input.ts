/** Test helper: an assert.throws/rejects validator for a BadInputError with a given code. */
import assert from 'node:assert/strict';
import { BadInputError } from '../../src/errors.js';

export function badInput(code: string, ...messagePatterns: RegExp[]): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof BadInputError, `expected BadInputError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const pattern of messagePatterns) assert.match(error.message, pattern);
    return true;
  };
}
