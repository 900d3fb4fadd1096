/**
 * `llm-loadgen benchmark` against a real engine: llama.cpp's llama-server (test/fixtures/llama-server.ts)
 * with 4 slots and continuous batching. Chat and completions, streaming and not: every request is
 * accounted for (issued = completed, none failed, none resent), token counts come from the
 * server's usage, and every answer is as long as asked: `ignore_eos` in the body (--extra-body), since
 * the random weights do emit EOS (an answer of 6–13 tokens in about 1 run in 10 without it).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { assertExit, readJson, readJsonl, runCli, withTemp, cli } from '../cli/cli-process.js';
import { useLlamaServer } from '../fixtures/llama-server.js';

const engine = useLlamaServer({ parallel: 4 });

const REQUESTS = 16;
const OUTPUT_TOKENS = 16;

interface Summary {
  n_samples_issued: number;
  n_samples_completed: number;
  n_samples_failed: number;
  errors: Record<string, unknown>;
  token_count_sources: Record<string, number>;
  output_sequence_lengths: { min: number; max: number };
  ttft: { median: number | null };
}

for (const api of ['chat', 'completions'] as const) {
  for (const streaming of ['on', 'off'] as const) {
    test(`${api}, streaming ${streaming}: ${REQUESTS} requests at concurrency 4, every one accounted for`, async (t) => {
      const server = engine.get(t);
      if (server === null) return;
      await withTemp(async (tmp) => {
        const report = path.join(tmp.dir, 'report');
        const r = await runCli(
          cli`
            benchmark online --endpoints ${server.url} --model tiny --api-type ${api} --streaming ${streaming}
            --concurrency 4 --num-samples ${String(REQUESTS)} --max-output-tokens ${String(OUTPUT_TOKENS)}
            --extra-body ${'{"ignore_eos": true}'} --workers 1 --report-dir ${report}
          `,
          { timeoutMs: 90_000 },
        );
        assertExit(r, 0);
        const s = await readJson<Summary>(path.join(report, REPORT_FILES.summary));
        assert.equal(s.n_samples_issued, REQUESTS);
        assert.equal(s.n_samples_completed, REQUESTS, JSON.stringify(s.errors));
        assert.equal(s.n_samples_failed, 0);
        assert.equal(s.token_count_sources.usage, REQUESTS, 'llama-server sends usage (also when streaming)');
        assert.equal(s.output_sequence_lengths.min, OUTPUT_TOKENS);
        assert.equal(s.output_sequence_lengths.max, OUTPUT_TOKENS);
        if (streaming === 'on') assert.ok(s.ttft.median !== null && s.ttft.median > 0);
        const records = await readJsonl(path.join(report, REPORT_FILES.records));
        assert.equal(records.length, REQUESTS);
        assert.ok(
          records.every((x) => x.retries === 0 && x.error === null && x.status === 200),
          'no request resent, none failed',
        );
        assert.ok(records.every((x) => (x.input_tokens as number) > 0));
      });
    });
  }
}
