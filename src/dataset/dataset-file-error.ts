/**
 * Maps a filesystem error on a dataset file to a BadInputError the user can act on; anything
 * that is not a filesystem error is returned unchanged (it is a bug, not bad input).
 */
import { isAbsolute } from 'node:path';
import { BadInputError, ErrorCode } from '../errors.js';

export function datasetFileError(path: string, error: unknown): unknown {
  if (error instanceof BadInputError || !isErrnoError(error)) return error;
  if (error.code === 'ENOENT') {
    return new BadInputError(
      ErrorCode.datasetNotFound,
      `${path}: dataset file not found. Check the path` +
        (isAbsolute(path) ? '.' : ` (relative paths start from ${process.cwd()}).`),
      { cause: error },
    );
  }
  if (error.code === 'EISDIR') {
    return new BadInputError(
      ErrorCode.datasetUnreadable,
      `${path}: is a directory. Give the path of a .jsonl or .json file.`,
      { cause: error },
    );
  }
  return new BadInputError(
    ErrorCode.datasetUnreadable,
    `${path}: cannot read the dataset file (${error.code}: ${error.message}). Check its permissions.`,
    { cause: error },
  );
}

function isErrnoError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
