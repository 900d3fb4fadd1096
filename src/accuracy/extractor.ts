/**
 * An extractor turns a model's answer text into the value a scorer compares with the ground
 * truth (the letter of a multiple-choice answer, the final number of a math answer). Names are
 * MLPerf Endpoints' (`accuracy_config.extractor` in its YAML), so its configs run unchanged.
 */
export interface Extractor {
  /** The name in YAML and on the command line. */
  readonly id: string;
  /** One line for `--help` and docs. */
  readonly help: string;
  /** The extracted value, or null when the text holds none (counted as an extractor miss). */
  extract(text: string): string | null;
  /**
   * The ground truth in the extractor's terms, where datasets write it several ways (GPQA's
   * `choice3` and a plain `C` are the same answer to abcd_extractor). Default: as is.
   */
  normalizeTruth?(truth: string): string;
}
