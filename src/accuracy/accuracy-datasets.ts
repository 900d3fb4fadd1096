/**
 * The accuracy datasets of a run, loaded and checked before any request: each with its scorer,
 * extractor, ground truth per row and repeats. A wrong eval_method, extractor or ground-truth
 * column is exit 2 now, not after the performance phase has run for an hour.
 */
import { basename, extname } from 'node:path';
import type { BenchmarkSettings } from '../config/benchmark-settings.js';
import type { DatasetSpec } from '../config/dataset-spec.js';
import { loadDataset } from '../dataset/load-dataset.js';
import type { Sample } from '../dataset/sample.js';
import { BadInputError, ErrorCode } from '../errors.js';
import type { Extractor } from './extractor.js';
import { extractorByName } from './extractors.js';
import type { Scorer } from './scorer.js';
import { scorerByName } from './scorers.js';

/** MLPerf Endpoints' default ground-truth column. */
export const DEFAULT_GROUND_TRUTH_COLUMN = 'ground_truth';
/** Without eval_method the answer must equal the truth exactly (MLPerf Endpoints' default scorer). */
export const DEFAULT_EVAL_METHOD = 'pass_at_1';

export interface AccuracyDataset {
  name: string;
  spec: DatasetSpec;
  scorer: Scorer;
  extractor: Extractor;
  groundTruthColumn: string;
  repeats: number;
  /** Every row, in file order, each with its groundTruth. */
  samples: Sample[];
}

function invalid(spec: DatasetSpec, err: unknown): BadInputError {
  return new BadInputError(
    ErrorCode.accuracyConfigInvalid,
    `accuracy dataset ${spec.name ?? spec.path}: ${(err as Error).message}`,
  );
}

export async function loadAccuracyDatasets(settings: BenchmarkSettings): Promise<AccuracyDataset[]> {
  if (settings.testMode === 'perf') return [];
  const out: AccuracyDataset[] = [];
  for (const spec of settings.dataset.filter((d) => d.type === 'accuracy')) {
    const config = spec.accuracy_config ?? {};
    let scorer: Scorer;
    let extractor: Extractor;
    try {
      scorer = scorerByName(config.eval_method ?? spec.eval_method ?? DEFAULT_EVAL_METHOD);
      extractor = extractorByName(config.extractor ?? scorer.defaultExtractor);
    } catch (err) {
      throw invalid(spec, err);
    }
    const groundTruthColumn = config.ground_truth ?? DEFAULT_GROUND_TRUTH_COLUMN;
    const loaded = await loadDataset(spec.path, {
      syntheticCount: 0,
      seed: settings.dataloaderRandomSeed,
      format: spec.format,
      columns: { ...spec.parser, promptTemplate: spec.prompt_template, groundTruth: groundTruthColumn },
      limit: spec.samples,
      shuffle: false,
    });
    if (loaded.samples.length === 0)
      throw new BadInputError(ErrorCode.datasetEmpty, `accuracy dataset ${spec.path} has no rows`);
    out.push({
      name: spec.name ?? basename(spec.path, extname(spec.path)),
      spec,
      scorer,
      extractor,
      groundTruthColumn,
      repeats: config.num_repeats ?? settings.accuracyRepeats,
      samples: loaded.samples,
    });
  }
  return out;
}
