/**
 * --tokenizer end to end: counts come after the run, per request, with their source, and agree
 * with the server's usage where they should (the mock counts whitespace words, as the test
 * tokenizer does) — or disagree by exactly what the tokenizer adds (a BOS token).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { assertExit, readJson, readJsonl, runCli, withMock, withTemp, cli } from '../cli/cli-process.js';
import { startPlainServer } from './plain-server.js';
import { PLAIN_TEMPLATE, writeTokenizerDir } from './test-tokenizer.js';

/** The default synthetic prompts are 64 words. */
const PROMPT_WORDS = 64;

async function report(dir: string) {
  return {
    summary: await readJson<ResultSummary>(path.join(dir, REPORT_FILES.summary)),
    records: await readJsonl(path.join(dir, REPORT_FILES.records)),
    text: await readFile(path.join(dir, REPORT_FILES.text), 'utf8'),
  };
}

test(
  'against the mock: tokenizer.json and server /tokenize both equal usage; a BOS shows as the disagreement',
  { timeout: 120_000 },
  async () => {
    await withMock({ outputTokens: 4 }, (mock) =>
      withTemp(async (tmp) => {
        const plain = await writeTokenizerDir(path.join(tmp.dir, 'plain'), { chatTemplate: PLAIN_TEMPLATE });
        const bos = await writeTokenizerDir(path.join(tmp.dir, 'bos'), { bos: true });
        const base = cli`benchmark offline --endpoints ${mock.url} --model m --workers 1 --num-samples 6`;
        const runs = {
          chatLocal: ['--tokenizer', plain],
          chatServer: ['--tokenizer', 'server'],
          completionsServer: ['--tokenizer', 'server', '--api-type', 'completions'],
          completionsBos: ['--tokenizer', bos, '--api-type', 'completions'],
        };
        const results = await Promise.all(
          Object.entries(runs).map(([name, args]) =>
            runCli([...base, ...args, '--report-dir', path.join(tmp.dir, name)]),
          ),
        );
        for (const r of results) assertExit(r, 0);
        assert.match(results[1].stderr, /prompt tokens counted with server \/tokenize \(vLLM\/SGLang shape/);

        for (const name of ['chatLocal', 'chatServer', 'completionsServer']) {
          const { summary, records, text } = await report(path.join(tmp.dir, name));
          const d = summary.token_counts.input.usage_vs_tokenizer;
          assert.deepEqual(d, { compared: 6, equal: 6, mean_pct: 0, max_abs_pct: 0 }, name);
          assert.deepEqual(summary.token_counts.input.sources, { usage: 6, tokenizer: 0, none: 0 }, name);
          for (const r of records) {
            assert.equal(r.input_token_source, 'usage', name);
            assert.equal(r.tokenizer_input_tokens, r.input_tokens, name);
            assert.equal(r.input_tokens, PROMPT_WORDS, name);
          }
          assert.match(text, /ISL usage vs tokenizer: 6 of 6 equal, tokenizer - usage mean 0\.00 %/, name);
        }
        const { summary, records } = await report(path.join(tmp.dir, 'completionsBos'));
        // The tokenizer adds <s>: one token more than the mock counts, on every prompt.
        assert.deepEqual(summary.token_counts.input.usage_vs_tokenizer, {
          compared: 6,
          equal: 0,
          mean_pct: (1 / PROMPT_WORDS) * 100,
          max_abs_pct: (1 / PROMPT_WORDS) * 100,
        });
        for (const r of records) assert.equal(r.tokenizer_input_tokens, PROMPT_WORDS + 1);
      }),
    );
  },
);

test(
  'a server without usage: ISL comes from its llama.cpp-shaped /tokenize (chat through /apply-template)',
  { timeout: 60_000 },
  async () => {
    const server = await startPlainServer({ llamaTokenize: true });
    try {
      await withTemp(async (tmp) => {
        const dir = path.join(tmp.dir, 'r');
        const r = await runCli(cli`
          benchmark offline --endpoints ${server.url} --model m --workers 1 --num-samples 4 --streaming on
          --tokenizer server --report-dir ${dir}
        `);
        assertExit(r, 0);
        assert.match(r.stderr, /server \/tokenize \(llama\.cpp shape/);
        const { summary, records, text } = await report(dir);
        // <user> 64 words <assistant> from the template, plus BOS (add_special): 67.
        const expected = PROMPT_WORDS + 3;
        assert.deepEqual(summary.token_counts.input.sources, { usage: 0, tokenizer: 4, none: 0 });
        assert.equal(summary.token_counts.input.null_reason, null);
        assert.equal(summary.token_counts.input.usage_vs_tokenizer, null, 'nothing to compare without usage');
        assert.equal(summary.input_sequence_lengths.min, expected);
        assert.equal(summary.input_sequence_lengths.max, expected);
        for (const rec of records) {
          assert.equal(rec.input_tokens, expected);
          assert.equal(rec.input_token_source, 'tokenizer');
        }
        assert.match(text, /ISL source: 0 server usage, 4 tokenizer \(server \/tokenize \(llama\.cpp shape/);
        const tokenizeCalls = server.tokenizeBodies.filter((b) => 'content' in b && b.add_special === true);
        assert.equal(tokenizeCalls.length, 4, 'one count per prompt, after the probe');
        assert.ok(tokenizeCalls.every((b) => b.parse_special === true));
      });
    } finally {
      await server.close();
    }
  },
);

test('--tokenizer server on an endpoint without /tokenize: exit 2 before the run', { timeout: 60_000 }, async () => {
  const server = await startPlainServer();
  try {
    await withTemp(async (tmp) => {
      const dir = path.join(tmp.dir, 'r');
      const r = await runCli(cli`
        benchmark offline --endpoints ${server.url} --model m --num-samples 2 --tokenizer server --report-dir
        ${dir}
      `);
      assertExit(r, 2);
      assert.match(r.stderr, /--tokenizer server: .* has no \/tokenize/);
      assert.match(r.stderr, /--tokenizer PATH/);
      const bad = await runCli(cli`
        benchmark offline --endpoints ${server.url} --model m --tokenizer ${path.join(tmp.dir, 'nope')}
        --report-dir ${dir}
      `);
      assertExit(bad, 2);
      assert.match(bad.stderr, /--tokenizer .*nope: no such file or directory/);
    });
  } finally {
    await server.close();
  }
});
