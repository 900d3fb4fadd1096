/**
 * `--concurrency 1,4,16,64` and `--target-qps 5,10,20` (or a YAML list): one value is a run, several
 * a sweep with one step per value (run-sweep.ts). The schema gives a number or a list of numbers.
 */
import { z } from 'zod';

/** A positive number (or integer), or a list of them (a flag's comma-separated values, a YAML list). */
export function sweepValues(integer: boolean) {
  const what = integer ? 'a positive integer' : 'a positive number';
  return z.unknown().transform((v, ctx): number | number[] => {
    const items = Array.isArray(v) ? (v as unknown[]) : [v];
    const out: number[] = [];
    for (const item of items) {
      const ok = typeof item === 'number' && item > 0 && Number.isFinite(item) && (!integer || Number.isInteger(item));
      if (!ok) {
        const got = typeof item === 'string' ? `"${item}"` : JSON.stringify(item);
        ctx.addIssue({
          code: 'custom',
          message: `expected number: ${what}, or a list of them for a sweep (one step per value) (got ${got})`,
        });
        return z.NEVER;
      }
      out.push(item);
    }
    if (out.length === 0) {
      ctx.addIssue({ code: 'custom', message: `give ${what}` });
      return z.NEVER;
    }
    return out.length === 1 ? out[0] : out;
  });
}

/** A flag parser that also takes a comma-separated list (`--concurrency 1,4,16`): a sweep. */
export function listOf(parse: (value: string) => number): (value: string) => number | number[] {
  return (value) => (value.includes(',') ? value.split(',').map((v) => parse(v.trim())) : parse(value));
}

/** The values of a swept option: a list, or null when it holds one value (or none). */
export function sweptValues(value: unknown): number[] | null {
  return Array.isArray(value) && value.length > 1 ? (value as number[]) : null;
}

/** One value, for code past the sweep (a one-element list is that value). */
export function singleValue(value: number | number[] | undefined): number | undefined {
  return Array.isArray(value) ? value[0] : value;
}
