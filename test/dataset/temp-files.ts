/** Test helper: a private temp dir for fixture files, removed by cleanup(). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempFiles {
  dir: string;
  /** Writes `content` to `name` inside the dir and returns its path. */
  write(name: string, content: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeTempFiles(): Promise<TempFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-loadgen-dataset-'));
  return {
    dir,
    async write(name, content) {
      const path = join(dir, name);
      await writeFile(path, content, 'utf8');
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
