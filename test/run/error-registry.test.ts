/**
 * The error registries and the documents that describe them must not drift: docs/errors.md lists
 * exactly the request outcome codes and the run error codes (with their exit codes), and the
 * README's exit-code table says what src/errors.ts says.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ERROR_CODES, EXIT_CODE_MEANINGS, ExitCode } from '../../src/errors.js';
import { RequestErrorCode } from '../../src/record/request-record.js';
import { PROJECT_ROOT } from '../cli/cli-process.js';

/** The rows of the first markdown table after `heading`, as arrays of trimmed cells. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `no "${heading}" section`);
  const lines = markdown.slice(start + heading.length + 2).split('\n');
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines) {
    if (line.startsWith('|')) {
      inTable = true;
      rows.push(
        line
          .slice(1, -1)
          .split(' | ')
          .map((c) => c.trim()),
      );
    } else if (inTable) break;
    else if (line.startsWith('#')) break;
  }
  return rows.slice(2); // header and |---|
}

const unquote = (cell: string) => cell.replace(/^`|`$/g, '');

test('docs/errors.md lists exactly the request outcome codes, each once', async () => {
  const doc = await readFile(path.join(PROJECT_ROOT, 'docs', 'errors.md'), 'utf8');
  const listed = tableAfter(doc, '## Request outcomes').map((row) => unquote(row[0]));
  assert.deepEqual([...listed].sort(), Object.values(RequestErrorCode).sort());
  assert.equal(new Set(listed).size, listed.length);
});

test('docs/errors.md lists exactly the run error codes of src/errors.ts, with their exit codes', async () => {
  const doc = await readFile(path.join(PROJECT_ROOT, 'docs', 'errors.md'), 'utf8');
  const listed = tableAfter(doc, '## Run errors').map((row) => [unquote(row[0]), Number(row[1])] as const);
  const registry = ERROR_CODES.map((e) => [e.code, e.exit] as const);
  const byCode = (a: readonly [string, number], b: readonly [string, number]) => a[0].localeCompare(b[0]);
  assert.deepEqual([...listed].sort(byCode), [...registry].sort(byCode));
});

test('every run error code is unique and snake_case', () => {
  const codes = ERROR_CODES.map((e) => e.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const c of codes) assert.match(c, /^[a-z]+(_[a-z]+)*$/);
});

test("the README's exit-code table is the exit codes of src/errors.ts, meaning for meaning", async () => {
  const readme = await readFile(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const rows = tableAfter(readme, '## Exit codes').map(([code, meaning]) => [Number(code), meaning] as const);
  const expected = Object.values(ExitCode).map((code) => [code, EXIT_CODE_MEANINGS[code]] as const);
  assert.deepEqual(rows, expected);
});
