/** `llm-loadgen runs`: the stored runs as a table, newest first, with filters. */
import { Command } from 'commander';
import { parseDurationMs } from '../config/duration.js';
import { BadInputError, ErrorCode } from '../errors.js';
import { ResultsStore, type StoredRun } from '../store/results-store.js';
import { parseLabels } from '../store/run-store.js';
import { collectRepeated, parseIntFlag } from './flag-parsers.js';
import { addResultsDbOption } from './results-flags.js';

interface RunsFlags {
  resultsDb: string;
  label: string[];
  since?: string;
  limit: number;
  json: boolean;
}

/** `--since`: an ISO date/time, or a duration back from now (`2h`, `7d`). */
export function parseSince(value: string, now = Date.now()): Date {
  const days = /^(\d+(?:\.\d+)?)d$/.exec(value);
  const ms = days !== null ? Number(days[1]) * 86_400_000 : parseDurationMs(value, 's');
  if (ms !== null && ms > 0 && /[a-z]$/.test(value)) return new Date(now - ms);
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new BadInputError(
      ErrorCode.invalidFlag,
      `--since: "${value}" is neither a date (2026-12-01, 2026-12-01T10:00Z) nor a time back from now (30m, 2h, 7d)`,
    );
  }
  return new Date(t);
}

function ms(ns: number | null | undefined): string {
  return ns === null || ns === undefined ? '-' : (ns / 1e6).toFixed(1);
}

export function formatRunsTable(runs: readonly StoredRun[]): string {
  const header = [
    'id',
    'when (UTC)',
    'state',
    'endpoint',
    'model',
    'pattern',
    'QPS',
    'TTFT p50',
    'p99 ms',
    'errors',
    'labels',
  ];
  const rows = runs.map((r) => {
    const s = r.summary;
    const pattern =
      r.loadPattern === 'poisson' && r.targetQps !== null ? `poisson@${r.targetQps}` : (r.loadPattern ?? r.mode);
    return [
      r.id,
      r.startedAt.toISOString().slice(0, 16).replace('T', ' '),
      r.state,
      r.endpoints.join(',') + '',
      r.model,
      pattern,
      s === null ? '-' : s.qps.toFixed(2),
      ms(s?.ttft.percentiles['50.0']),
      ms(s?.ttft.percentiles['99.0']),
      s === null ? `${r.storedRequests} stored` : String(s.n_samples_failed),
      Object.entries(r.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c >= 6 && c <= 9 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function runsCommand(): Command {
  return addResultsDbOption(
    new Command('runs')
      .description('list the runs in the results database, newest first')
      .option('--label <key=value>', 'only runs with this label (repeatable: all must match)', collectRepeated, [])
      .option('--since <when>', 'only runs started since a date (2026-12-01) or a time back (2h, 7d)')
      .option('--limit <n>', 'at most this many runs', parseIntFlag, 20)
      .option('--json', 'one JSON object per run instead of the table', false),
  ).action(async (f: RunsFlags) => {
    for (const l of f.label) {
      if (!/^[A-Za-z0-9_.-]+=/.test(l))
        throw new BadInputError(ErrorCode.invalidFlag, `--label: "${l}" is not key=value`);
    }
    const since = f.since === undefined ? undefined : parseSince(f.since);
    const store = await ResultsStore.openExisting(f.resultsDb);
    try {
      const runs = await store.listRuns({ labels: parseLabels(f.label), since, limit: f.limit });
      if (f.json) {
        for (const r of runs) {
          const { summary, configYaml: _config, ...rest } = r;
          process.stdout.write(
            JSON.stringify({ ...rest, qps: summary?.qps ?? null, ttft: summary?.ttft ?? null }) + '\n',
          );
        }
      } else if (runs.length === 0) {
        process.stdout.write(`no runs${f.label.length > 0 || since ? ' match' : ' stored'} in ${f.resultsDb}\n`);
      } else {
        process.stdout.write(formatRunsTable(runs));
      }
    } finally {
      store.close();
    }
  });
}
