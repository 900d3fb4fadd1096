/**
 * Test helper (a child process entry, not a test): runs the real CLI's main() once per argv list
 * in one process — the same parsing, validation and exit-code mapping as `llm-loadgen …`, minus
 * the final process.exit — so that a table of ~100 bad-input cases costs one ~0.7 s tsx start-up
 * instead of one each (~90 s of CPU on a loaded 2-core box).
 *
 * Usage: node --import tsx test/cli/in-process-cli.ts <cases.json> <results.json>
 * cases.json: string[][] (argv after the program name); results.json: { code, stdout, stderr }[].
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

const [casesFile, resultsFile] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(casesFile, 'utf8')) as string[][];
const results: { code: number | null; stdout: string; stderr: string }[] = [];

const realExit = process.exit.bind(process);
const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
let out = '';
let err = '';
const capture = () => {
  out = '';
  err = '';
  process.stdout.write = ((s: string | Uint8Array) => ((out += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof process.stderr.write;
};

// main.ts runs `process.exit(await main(process.argv))` when imported: let that first run be a
// harmless --version and keep the process alive.
capture();
process.argv = [process.argv[0], CLI_MAIN, '--version'];
process.exit = (() => undefined) as unknown as typeof process.exit;
const { main } = (await import('../../src/cli/main.js')) as { main: (argv: string[]) => Promise<number> };

for (const args of cases) {
  capture();
  process.exitCode = undefined;
  let timer: NodeJS.Timeout | undefined;
  // As the real process sees it (demo re-runs process.argv[1] to start its mock server).
  process.argv = [process.execPath, CLI_MAIN, ...args];
  const code = await Promise.race([
    main(process.argv),
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 20_000))),
  ]);
  clearTimeout(timer);
  results.push({ code, stdout: out, stderr: err });
}
process.stdout.write = realOut;
process.stderr.write = realErr;
writeFileSync(resultsFile, JSON.stringify(results));
realExit(0);
