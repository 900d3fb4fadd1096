/** `llm-loadgen merge DIR|DB…`: the hosts of a multi-host run become one run (distributed/merge-runs.ts). */
import { Command } from 'commander';
import path from 'node:path';
import { formatHostTable, hostTableHtml, mergeRuns } from '../distributed/merge-runs.js';
import { runReportHtml } from '../report/html/report-html.js';
import { BadInputError, ErrorCode, ExitCode } from '../errors.js';
import { writeRecordsJsonl } from '../report/records-jsonl.js';
import { REPORT_FILES, createReportDir, summaryJson, writeTextAtomically } from '../report/report-files.js';
import { formatReportText } from '../report/report-text.js';

export function mergeCommand(): Command {
  return new Command('merge')
    .description(
      'merge the hosts of one run (--shard i/N) into one run: the summary of the union of their records, and a table of the hosts (docs/multi-host.md)',
    )
    .argument(
      '<hosts...>',
      "the hosts' report directories, or their results databases (results/llm-loadgen.duckdb of each host)",
    )
    .option('--report-dir <dir>', 'where the merged report goes (new or empty)')
    .option('--overwrite', 'reuse a non-empty --report-dir')
    .option(
      '--run <id>',
      'the run to take from the results databases, by id or a unique prefix (repeat it: one per host); default: the latest --shard run of each database',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .action(async (dirs: string[], flags: { reportDir?: string; overwrite?: boolean; run: string[] }) => {
      if (dirs.length === 0)
        throw new BadInputError(
          ErrorCode.invalidFlag,
          'merge: give the hosts’ report directories or results databases',
        );
      const merged = await mergeRuns(dirs, { runIds: flags.run });
      const reportDir = await createReportDir(flags.reportDir, flags.overwrite === true);
      const context = {
        model: merged.fingerprint?.model ?? '',
        endpoints: merged.endpoints,
        mode: merged.summary.mode,
        loadPattern: `${merged.fingerprint?.load_pattern ?? 'run'} merged from ${merged.summary.hosts.length} hosts`,
        streaming: merged.records.some((r) => r.streaming),
        reportDir,
        startedAt: new Date(merged.summary.test_started_at / 1e6).toISOString(),
      };
      const text = formatReportText(merged.summary, context) + formatHostTable(merged.summary.hosts);
      process.stdout.write(text);
      await writeTextAtomically(path.join(reportDir, REPORT_FILES.summary), summaryJson(merged.summary));
      await writeTextAtomically(path.join(reportDir, REPORT_FILES.text), text);
      // report.html: the run page of the union, with the host table above the latency table.
      const page = runReportHtml({
        summary: merged.summary,
        context,
        records: merged.records,
        startNs: merged.startNs,
        endNs: merged.startNs + merged.summary.duration_ns,
        seed: merged.fingerprint?.scheduler_seed ?? 0,
        configYaml: merged.configYaml,
        shards: merged.summary.client_health.shards.length || undefined,
      });
      const latency = page.indexOf('<h2>Latency</h2>');
      await writeTextAtomically(
        path.join(reportDir, REPORT_FILES.html),
        latency < 0 ? page : page.slice(0, latency) + hostTableHtml(merged.summary.hosts) + page.slice(latency),
      );
      await writeRecordsJsonl(
        path.join(reportDir, REPORT_FILES.records),
        merged.records,
        merged.startNs,
        merged.endpoints,
      );
      process.stderr.write(`merged report written to ${reportDir}/\n`);
      process.exitCode = ExitCode.ok;
    });
}
