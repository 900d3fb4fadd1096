/**
 * What the console says about the dataset before a run: which column the prompts came from (the
 * reference picks it by a fixed candidate order; a user should not have to guess which one won)
 * and how many bad rows --skip-bad-rows skipped, with the first few reasons.
 */
import { describeTally } from './column-mapping.js';
import type { LoadedDataset } from './load-dataset.js';
import { SHARD_READ_BYTES } from './shard-dataset.js';

export function datasetNotes(
  dataset: Pick<LoadedDataset, 'source' | 'promptColumns' | 'skipped' | 'shardSource'>,
): string[] {
  if (dataset.promptColumns === undefined) return [];
  const notes = [`dataset: ${dataset.source}: prompts from column ${describeTally(dataset.promptColumns)}`];
  if (dataset.shardSource !== undefined) {
    notes.push(
      `dataset: ${dataset.shardSource.rows} rows checked; each shard reads the file and keeps only its own rows (files of ${SHARD_READ_BYTES / 2 ** 20} MB or more)`,
    );
  }
  const skipped = dataset.skipped;
  if (skipped !== undefined && skipped.count > 0) {
    notes.push(
      `dataset: skipped ${skipped.count} bad row${skipped.count === 1 ? '' : 's'} (--skip-bad-rows)` +
        (skipped.first.length > 0 ? `; the first: ${skipped.first.join('; ')}` : ''),
    );
  }
  return notes;
}
