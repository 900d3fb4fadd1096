/**
 * A scorer compares one extracted answer with its ground truth. Names are MLPerf Endpoints'
 * (`accuracy_config.eval_method`), so its configs run unchanged.
 */
export interface Scorer {
  /** The name in YAML and on the command line. */
  readonly id: string;
  readonly help: string;
  /** The extractor used when the dataset names none. */
  readonly defaultExtractor: string;
  /** The sample's score in [0, 1] (1 = right). `value` is null when the extractor found nothing. */
  score(value: string | null, truth: string): number;
  /** Further per-sample figures averaged beside the score (ROUGE's rouge1, rouge2, …), in [0, 1]. */
  breakdown?(value: string | null, truth: string): Readonly<Record<string, number>>;
}
