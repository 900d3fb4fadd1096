/**
 * Without the native addon (a machine with no compiler, or LLM_LOADGEN_NO_ADDON=1) every native
 * path has a JS fallback: SSE and JSON scanning, response heads, source-IP binding. This runs the
 * decoding and client tests again in a process where the addon is disabled, so the fallbacks are
 * tested on every `npm test`, not only where the build fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('the api and client tests pass with the native addon disabled (JS fallbacks)', { timeout: 300_000 }, async () => {
  const files = ['api', 'client'].flatMap((dir) =>
    readdirSync(path.join(root, 'test', dir))
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => path.join('test', dir, f)),
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=tap', ...files],
    {
      cwd: root,
      // NODE_TEST_CONTEXT would make the nested runner report to this one instead of running as its own.
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')),
        LLM_LOADGEN_NO_ADDON: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const summary = out
    .split('\n')
    .filter((l) => /^# (tests|pass|fail|skipped)/.test(l))
    .join(', ');
  // Each failing test with its TAP block (the error, where, how long), so a CI failure says why.
  const lines = out.split('\n');
  const failures = lines
    .flatMap((l, i) => {
      if (!/^\s*not ok/.test(l)) return [];
      const end = lines.findIndex((m, j) => j > i && /^\s*\.\.\.$/.test(m));
      return lines.slice(i, end < 0 ? i + 40 : Math.min(end + 1, i + 40));
    })
    .join('\n');
  assert.equal(code, 0, `with LLM_LOADGEN_NO_ADDON=1: ${summary}\n${failures}\n${out.slice(-3000)}`);
  assert.match(summary, /# pass [1-9]/, summary);
});
