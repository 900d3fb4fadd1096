/** `--slo` / `settings.slo` as the option table validates it: entries split at commas, each parsed. */
import { z } from 'zod';
import { parseSlo, type Slo } from './slo.js';

export type { Slo };

export const sloListSchema = z
  .array(z.string())
  .default([])
  .transform((entries, ctx): Slo[] => {
    const out: Slo[] = [];
    for (const entry of entries.flatMap((e) => e.split(','))) {
      if (entry.trim() === '') continue;
      const slo = parseSlo(entry);
      if (typeof slo === 'string') ctx.addIssue({ code: 'custom', message: slo });
      else out.push(slo);
    }
    return out;
  });
