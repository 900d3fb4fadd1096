/** `llm-loadgen export RUN --format parquet|csv|jsonl`: a stored run's records as a file. */
import { Command, Option } from 'commander';
import { ResultsStore } from '../store/results-store.js';
import { EXPORT_FORMATS, exportRun, type ExportFormat } from '../store/run-export.js';
import { addResultsDbOption } from './results-flags.js';

interface ExportFlags {
  resultsDb: string;
  format: ExportFormat;
  output?: string;
}

export function exportCommand(): Command {
  return addResultsDbOption(
    new Command('export')
      .description("write a stored run's request records to a file (times in ns from the run's start)")
      .argument('<run>', 'run id (or a unique prefix), its report directory, or `latest`')
      .addOption(new Option('--format <format>', 'file format').choices([...EXPORT_FORMATS]).default('parquet'))
      .option('--output <file>', 'the file to write (default: <run id>-records.<format>)'),
  ).action(async (ref: string, f: ExportFlags) => {
    const store = await ResultsStore.openExisting(f.resultsDb);
    try {
      const run = await store.findRun(ref);
      const file = f.output ?? `${run.id}-records.${f.format}`;
      const n = await exportRun(store, run, f.format, file);
      process.stderr.write(`run ${run.id}: ${n} records written to ${file}\n`);
    } finally {
      store.close();
    }
  });
}
