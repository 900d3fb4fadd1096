/** `llm-loadgen report RUN`: every report file of a stored run, written again from the results database. */
import { Command, Option } from 'commander';
import { ResultsStore } from '../store/results-store.js';
import { storedRunData, writeStoredReport } from '../store/stored-report.js';
import { addResultsDbOption } from './results-flags.js';

interface ReportFlags {
  resultsDb: string;
  output?: string;
  records: 'jsonl' | 'none';
}

export function reportCommand(): Command {
  return addResultsDbOption(
    new Command('report')
      .description(
        "write a stored run's report files again from the results database (a run killed mid-run gets state `incomplete` and the summary of what was stored)",
      )
      .argument('<run>', 'run id (or a unique prefix), its report directory, or `latest`')
      .option('--output <dir>', "where to write the files (default: the run's report directory)")
      .addOption(
        new Option('--records <format>', 'also write records.jsonl').choices(['jsonl', 'none']).default('none'),
      ),
  ).action(async (ref: string, f: ReportFlags) => {
    const store = await ResultsStore.openExisting(f.resultsDb);
    try {
      const run = await store.findRun(ref);
      const data = await storedRunData(store, run, { keepRecords: true });
      const dir = f.output ?? data.run.reportDir ?? `reports/${run.id}`;
      process.stdout.write(data.text);
      const written = await writeStoredReport(store, data, dir, f.records === 'jsonl');
      process.stderr.write(`run ${run.id} (${data.run.state}): ${written.join(', ')} written to ${dir}/\n`);
    } finally {
      store.close();
    }
  });
}
