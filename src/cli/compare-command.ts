/** `llm-loadgen compare RUN RUN [RUN…]`: stored runs side by side, and whether they differ beyond noise. */
import { Command } from 'commander';
import { BadInputError, ErrorCode } from '../errors.js';
import { ResultsStore } from '../store/results-store.js';
import { compareRuns, formatCompare, type CompareData } from '../store/run-compare.js';
import { RecordBatchList } from '../record/record-batch.js';
import { renderComparePage } from '../report/html/compare-page.js';
import { extractRunChartData } from '../report/html/run-chart-data.js';
import { writeTextAtomically } from '../report/report-files.js';
import { readStoredBatches } from '../store/stored-records.js';
import { addResultsDbOption } from './results-flags.js';

interface CompareFlags {
  resultsDb: string;
  json: boolean;
  html?: string;
}

/** The compare page: each run's charts from its stored records (read one run at a time), the table, accuracy. */
async function writeComparePage(store: ResultsStore, data: CompareData, file: string): Promise<void> {
  const runs = [];
  for (const [i, run] of data.runs.entries()) {
    const records = new RecordBatchList();
    for await (const b of readStoredBatches(store.connection, run.seq, true)) records.push(b);
    const charts = extractRunChartData(records, { startNs: run.startNs ?? 0, endNs: run.endNs ?? undefined });
    runs.push({ label: `[${i}] ${run.id}`, charts, summary: data.summaries[i] });
  }
  const noise = data.tests.map(
    (t) =>
      `${t.metric} [${t.run}] vs [0]: p = ${t.p.toPrecision(2)}, ${t.significant ? 'different beyond noise' : 'within noise'} (${data.test}, p < ${data.alpha})`,
  );
  await writeTextAtomically(file, renderComparePage({ runs, notes: noise, accuracy: data.accuracy }));
}

export function compareCommand(): Command {
  return addResultsDbOption(
    new Command('compare')
      .description(
        "stored runs side by side: every headline figure, the change from the first run in %, a Mann–Whitney U test on per-request TTFT/TPOT/E2E, and each accuracy dataset's score change with its 95 % interval (Newcombe / Welch)",
      )
      .argument('<runs...>', 'two or more runs: ids (or unique prefixes), report directories, or `latest`')
      .option('--json', 'the comparison as JSON', false)
      .option('--html <file>', 'also write the compare page: overlaid CDFs and throughput, the table, accuracy deltas'),
  ).action(async (refs: string[], f: CompareFlags) => {
    if (refs.length < 2) {
      throw new BadInputError(ErrorCode.invalidFlag, 'compare needs at least two runs: `llm-loadgen runs` lists them');
    }
    const store = await ResultsStore.openExisting(f.resultsDb);
    try {
      const runs = [];
      for (const ref of refs) runs.push(await store.findRun(ref));
      const data = await compareRuns(store, runs);
      process.stdout.write(f.json ? JSON.stringify(data, null, 2) + '\n' : formatCompare(data));
      if (f.html !== undefined) {
        await writeComparePage(store, data, f.html);
        process.stderr.write(`compare page written to ${f.html}\n`);
      }
    } finally {
      store.close();
    }
  });
}
