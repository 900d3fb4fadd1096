/** `llm-loadgen compare RUN RUN [RUN…]`: stored runs side by side, and whether they differ beyond noise. */
import { Command } from 'commander';
import { BadInputError, ErrorCode } from '../errors.js';
import { ResultsStore } from '../store/results-store.js';
import { compareRuns, formatCompare } from '../store/run-compare.js';
import { addResultsDbOption } from './results-flags.js';

interface CompareFlags {
  resultsDb: string;
  json: boolean;
}

export function compareCommand(): Command {
  return addResultsDbOption(
    new Command('compare')
      .description(
        'stored runs side by side: every headline figure, the change from the first run in %, and a Mann–Whitney U test on per-request TTFT/TPOT/E2E',
      )
      .argument('<runs...>', 'two or more runs: ids (or unique prefixes), report directories, or `latest`')
      .option('--json', 'the comparison as JSON', false),
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
    } finally {
      store.close();
    }
  });
}
