/**
 * Test helper: run many CLI invocations through the real main() in one child process
 * (in-process-cli.ts) — the same parsing, validation and exit codes as separate `llm-loadgen`
 * processes, for one tsx start-up. For bad-input tables; runs that send load use runCli.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT, makeTempDir, type CliResult } from './cli-process.js';

/** Every argv list through the CLI's main() in one child process. */
export async function runInProcess(argvs: string[][]): Promise<CliResult[]> {
  const tmp = await makeTempDir('llm-loadgen-flags-');
  try {
    const casesFile = path.join(tmp.dir, 'cases.json');
    const resultsFile = path.join(tmp.dir, 'results.json');
    await writeFile(casesFile, JSON.stringify(argvs));
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(PROJECT_ROOT, 'test', 'cli', 'in-process-cli.ts'), casesFile, resultsFile],
      { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, 'the in-process runner failed');
    const results = JSON.parse(await readFile(resultsFile, 'utf8')) as {
      code: number | null;
      stdout: string;
      stderr: string;
    }[];
    return results.map((r) => ({ ...r, signal: null }));
  } finally {
    await tmp.cleanup();
  }
}
