/** Recognising a Hugging Face `save_to_disk` directory without loading apache-arrow (~20 MB, ~0.3 s). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Whether `dir` looks like a `save_to_disk` directory (a Dataset or a DatasetDict). */
export function isSaveToDiskDir(dir: string): boolean {
  return ['state.json', 'dataset_info.json', 'dataset_dict.json'].some((f) => existsSync(join(dir, f)));
}
