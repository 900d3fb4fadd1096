/** Flags the commands on stored runs share. */
import type { Command } from 'commander';
import { DEFAULT_RESULTS_DB } from '../store/results-store.js';

export function addResultsDbOption(cmd: Command): Command {
  return cmd.option('--results-db <path>', 'the results database', DEFAULT_RESULTS_DB);
}
