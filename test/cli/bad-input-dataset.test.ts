/**
 * Bad datasets through the real CLI (benchmark offline): each exits 2 naming `file:line` (or
 * `file[index]` for .json) with a short, printable message and sends nothing; a UTF-8 BOM, CRLF
 * line ends and a 5 MB prompt are accepted and sent as written. Complements test/dataset/*
 * (the readers alone) and benchmark-cli.test.ts (invalid JSON on line 3, no prompt column).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startMockServer } from '../../src/servers/mock-openai-server.js';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import { closedPort, describeResult, makeTempDir, readJson, runCli, cli } from './cli-process.js';
import { runInProcess } from './in-process-runner.js';
import { REPORT_FILES } from '../../src/report/report-files.js';

interface BadCase {
  name: string;
  file: string;
  content: string | Buffer;
  /** What stderr must name: `file:line`, `file[i]` or the file alone. */
  where: (file: string) => string;
  message: RegExp;
}

const FIVE_MB = 5 * 1024 * 1024;

const BAD: BadCase[] = [
  {
    name: 'a truncated last line',
    file: 'truncated.jsonl',
    content: '{"prompt": "a"}\n{"prompt": "b"}\n{"prompt": "c',
    where: (f) => `${f}:3`,
    message: /invalid JSON/,
  },
  {
    name: 'a row that is a JSON string',
    file: 'string-row.jsonl',
    content: '{"prompt": "a"}\n"just text"\n',
    where: (f) => `${f}:2`,
    message: /object/,
  },
  {
    name: 'a null row',
    file: 'null-row.jsonl',
    content: '{"prompt": "a"}\n\nnull\n',
    where: (f) => `${f}:3`,
    message: /object/,
  },
  {
    name: 'a missing prompt column in a .json array',
    file: 'no-prompt.json',
    content: '[{"prompt": "a"}, {"answer": "b"}]',
    where: (f) => `${f}[1]`,
    message: /prompt/,
  },
  {
    name: 'an empty .jsonl file',
    file: 'empty.jsonl',
    content: '',
    where: (f) => f,
    message: /no rows/,
  },
  {
    name: 'a .jsonl file of blank lines (CRLF)',
    file: 'blank.jsonl',
    content: '\r\n\r\n   \r\n',
    where: (f) => f,
    message: /no rows/,
  },
  {
    name: 'an empty .json file',
    file: 'empty.json',
    content: '',
    where: (f) => f,
    message: /invalid JSON/,
  },
  {
    name: 'an empty .json array',
    file: 'empty-array.json',
    content: '[]\n',
    where: (f) => f,
    message: /no rows/,
  },
  {
    name: 'a 5 MB line that is not JSON',
    file: 'huge-line.jsonl',
    content: '{"prompt": "a"}\n' + 'x'.repeat(FIVE_MB) + '\n{"prompt": "c"}\n',
    where: (f) => `${f}:2`,
    message: /invalid JSON/,
  },
  {
    name: 'a 5 MB unterminated string',
    file: 'huge-string.jsonl',
    content: '{"prompt": "' + 'y'.repeat(FIVE_MB) + '\n',
    where: (f) => `${f}:1`,
    message: /invalid JSON/,
  },
  {
    name: 'binary garbage (control bytes, terminal escapes, invalid UTF-8)',
    file: 'garbage.jsonl',
    content: Buffer.concat([Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x00, 0x07, 0xff, 0xfe, 0x80]), randomBytes(4096)]),
    where: (f) => `${f}:1`,
    message: /invalid JSON/,
  },
  {
    name: 'no prompt column, and a key that is a terminal escape',
    file: 'escape-key.jsonl',
    // JSON escapes in the file: the parsed key holds ESC [2J and a bell.
    content: '{"prompt": "a"}\n' + JSON.stringify({ '\u001b[2J\u0007': 'b' }) + '\n',
    where: (f) => `${f}:2`,
    message: /no prompt column/,
  },
  {
    name: 'no prompt column, and a 5 MB key',
    file: 'huge-key.jsonl',
    content: '{"' + 'k'.repeat(FIVE_MB) + '": "b"}\n',
    where: (f) => `${f}:1`,
    message: /no prompt column/,
  },
];

/** C0 controls other than LF (and DEL): a message must not carry terminal escapes from the file. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;

test(
  'bad datasets exit 2 naming file:line, with a short printable message, before any request',
  { timeout: 120_000 },
  async () => {
    const tmp = await makeTempDir();
    try {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const files = await Promise.all(
        BAD.map(async (c) => {
          const file = path.join(tmp.dir, c.file);
          await writeFile(file, c.content);
          return file;
        }),
      );
      const results = await runInProcess(
        files.map((file) => cli`benchmark offline --endpoints ${url} --model m --workers 1 --dataset ${file}`),
      );
      const failures: string[] = [];
      BAD.forEach((c, i) => {
        const r = results[i];
        const what = `${c.name}: ${describeResult({ ...r, stderr: JSON.stringify(r.stderr.slice(0, 600)) })}`;
        if (r.code !== 2) failures.push(`exit ${r.code}, expected 2 (${what})`);
        else if (!r.stderr.includes(c.where(files[i]))) failures.push(`does not name ${c.where(files[i])} (${what})`);
        else if (!c.message.test(r.stderr)) failures.push(`no ${c.message} in the message (${what})`);
        else if (/internal error|\n\s+at .*:\d+:\d+/.test(r.stderr)) failures.push(`stack trace (${what})`);
        else if (r.stderr.length > 2000) failures.push(`${r.stderr.length}-character message (${what})`);
        else if (CONTROL.test(r.stderr.replace(/\n$/, '')))
          failures.push(`control characters in the message (${what})`);
      });
      assert.deepEqual(failures, [], failures.join('\n'));
    } finally {
      await tmp.cleanup();
    }
  },
);

test(
  'a UTF-8 BOM, CRLF line ends and a 5 MB prompt are accepted and sent as written',
  { timeout: 120_000 },
  async () => {
    const mock = await startMockServer({ host: '127.0.0.1', port: 0, ttftMs: 0, itlMs: 0, outputTokens: 2 });
    const tmp = await makeTempDir();
    try {
      const rows = ['one two three', 'four five', 'six'];
      const words = 6;
      const jsonl = rows.map((q) => JSON.stringify({ prompt: q })).join('\r\n') + '\r\n';
      const cases: { name: string; file: string; content: string; samples: number; inputWords: number }[] = [
        { name: 'BOM + CRLF .jsonl', file: 'bom-crlf.jsonl', content: '\uFEFF' + jsonl, samples: 3, inputWords: words },
        {
          name: 'BOM + CRLF .json',
          file: 'bom-crlf.json',
          content: '\uFEFF[\r\n' + rows.map((q) => JSON.stringify({ prompt: q })).join(',\r\n') + '\r\n]\r\n',
          samples: 3,
          inputWords: words,
        },
        {
          name: 'a 5 MB prompt',
          file: 'big-prompt.jsonl',
          content: JSON.stringify({ prompt: 'w '.repeat(FIVE_MB / 2).trim() }) + '\n',
          samples: 1,
          inputWords: FIVE_MB / 2,
        },
      ];
      // In parallel: each is a short run with its own shard process.
      await Promise.all(
        cases.map(async (c) => {
          const file = path.join(tmp.dir, c.file);
          await writeFile(file, c.content, 'utf8');
          const dir = path.join(tmp.dir, `report-${c.file}`);
          const r = await runCli(
            cli`
              benchmark offline --endpoints ${mock.url} --model m --workers 1 --dataset ${file} --report-dir
              ${dir}
            `,
            { timeoutMs: 60_000 },
          );
          assert.equal(r.code, 0, `${c.name}: ${describeResult(r)}`);
          const s = await readJson<ResultSummary>(path.join(dir, REPORT_FILES.summary));
          assert.equal(s.n_samples_completed, c.samples, c.name);
          // The mock counts the prompt's words: every row arrived whole.
          assert.equal(s.input_sequence_lengths.total, c.inputWords, c.name);
        }),
      );
    } finally {
      await tmp.cleanup();
      await mock.close();
    }
  },
);
