/**
 * A server that sends no `usage`: ISL is unmeasured, so it is null with a reason — in the summary,
 * report.txt and records.jsonl — never 0 (which is what every request reported before).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { REPORT_FILES } from '../../src/report/report-files.js';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import { assertExit, readJson, readJsonl, runCli, withTemp, cli } from '../cli/cli-process.js';
import { readFile } from 'node:fs/promises';
import { startPlainServer } from './plain-server.js';

test('no usage from the server: ISL (and non-streamed OSL) are null with a reason, never 0', async () => {
  const server = await startPlainServer();
  try {
    await withTemp(async (tmp) => {
      const base = cli`benchmark offline --endpoints ${server.url} --model m --workers 1`;
      const streamed = path.join(tmp.dir, 'streamed');
      const plain = path.join(tmp.dir, 'plain');
      const [a, b] = await Promise.all([
        runCli([...base, '--streaming', 'on', '--num-samples', '5', '--report-dir', streamed]),
        runCli([...base, '--streaming', 'off', '--num-samples', '5', '--report-dir', plain]),
      ]);
      assertExit(a, 0);
      assertExit(b, 0);

      const s = await readJson<ResultSummary>(path.join(streamed, REPORT_FILES.summary));
      assert.equal(s.n_samples_completed, 5);
      assert.equal(s.input_sequence_lengths.avg, null, 'no ISL was measured: the series is empty, not 0');
      assert.deepEqual(s.token_counts.input.sources, { usage: 0, tokenizer: 0, none: 5 });
      assert.match(s.token_counts.input.null_reason ?? '', /no usage\.prompt_tokens.*--tokenizer/);
      // Streamed OSL is the chunk count (3 words, 3 chunks).
      assert.equal(s.output_sequence_lengths.avg, 3);
      assert.deepEqual(s.token_counts.output.sources, { usage: 0, chunks: 5, none: 0 });
      assert.ok(
        s.warnings.some((w) => w.startsWith('ISL not measured for 5 request(s)')),
        s.warnings.join('\n'),
      );
      const records = await readJsonl(path.join(streamed, REPORT_FILES.records));
      assert.equal(records.length, 5);
      for (const r of records) {
        assert.equal(r.input_tokens, null);
        assert.equal(r.input_token_source, 'none');
        assert.equal(r.output_tokens, 3);
        assert.equal(r.token_source, 'chunks');
      }
      const text = await readFile(path.join(streamed, REPORT_FILES.text), 'utf8');
      assert.match(text, /ISL source: 0 server usage, 0 tokenizer, 5 not measured/);
      assert.match(text, /ISL not measured for 5 request\(s\)/);

      const p = await readJson<ResultSummary>(path.join(plain, REPORT_FILES.summary));
      assert.equal(p.input_sequence_lengths.avg, null);
      assert.equal(p.output_sequence_lengths.avg, null, 'a non-streamed answer without usage has no OSL');
      assert.deepEqual(p.token_counts.output.sources, { usage: 0, chunks: 0, none: 5 });
      assert.match(p.token_counts.output.null_reason ?? '', /non-streaming answer\(s\) had no usage/);
      for (const r of await readJsonl(path.join(plain, REPORT_FILES.records))) {
        assert.equal(r.input_tokens, null);
        assert.equal(r.output_tokens, null);
        assert.equal(r.token_source, 'none');
      }
    });
  } finally {
    await server.close();
  }
});
