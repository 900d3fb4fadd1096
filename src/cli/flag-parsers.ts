/** Commander argument parsers that reject bad values with the flag's name (exit code 2). */
import { InvalidArgumentError } from 'commander';

export function parseIntFlag(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) throw new InvalidArgumentError('expected an integer.');
  // 1e20 is an integer to Number() but not a count any flag can mean (and is rounded past 2^53).
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer of at most 2^53 - 1.');
  return n;
}

export function parseNumberFlag(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number.');
  return n;
}

/** Repeated or comma-separated values accumulate into one list. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ];
}

/** Repeated values accumulate as given (no comma split: a header value may hold commas). */
export function collectRepeated(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
