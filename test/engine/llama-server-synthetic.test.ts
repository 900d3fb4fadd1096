/**
 * Issue 8's "done when" on a real engine: `--dataset synthetic:input=1024,output=256,range=0.1`
 * with `--tokenizer` (the tokenizer directory made from the test GGUF's vocabulary) and
 * `--force-output-length ignore_eos` against llama-server reports, for every request, an ISL within
 * 1024 ± 10 % and an OSL of exactly 256 — both from the server's usage — and the tokenizer's count
 * of each prompt equals that usage, for completions and for chat (chat template and BOS included).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { assertExit, readJson, readJsonl, runCli, withTemp, cli } from '../cli/cli-process.js';
import { useLlamaServer } from '../fixtures/llama-server.js';

/** Four slots of 2,048 tokens: a 1,126-token prompt and 256 generated tokens fit one. */
const engine = useLlamaServer({ parallel: 4, context: 8192 });

const INPUT = 1024;
const OUTPUT = 256;
const RANGE = 0.1;
const REQUESTS = 6;
/** Fewer than the requests: the later ones go where an answer just ended (llama-server closes those). */
const CONCURRENCY = 3;
const SHORTEST = Math.ceil(INPUT * (1 - RANGE));
const LONGEST = Math.floor(INPUT * (1 + RANGE));

for (const [api, prefix] of [
  ['completions', 256],
  ['chat', 0],
] as const) {
  test(`${api}: synthetic input=${INPUT},output=${OUTPUT},range=${RANGE}${prefix > 0 ? `,prefix=${prefix}` : ''}: every request's ISL in range and OSL ${OUTPUT}, tokenizer = usage`, async (t) => {
    const server = engine.get(t);
    if (server === null) return;
    const tokenizer = server.build.tokenizer;
    if (tokenizer === undefined) {
      const why = 'this llama-server build has no tokenizer directory (LLM_LOADGEN_LLAMA_TOKENIZER unset)';
      console.error(`!!! SKIPPED "${t.name}": ${why}`);
      t.skip(why);
      return;
    }
    await withTemp(async (tmp) => {
      const report = path.join(tmp.dir, 'report');
      const spec = `synthetic:input=${INPUT},output=${OUTPUT},range=${RANGE}${prefix > 0 ? `,prefix=${prefix}` : ''},n=${REQUESTS}`;
      const r = await runCli(
        cli`
          benchmark online --endpoints ${server.url} --model tiny --api-type ${api} --streaming on --dataset
          ${spec} --tokenizer ${tokenizer} --force-output-length ignore_eos --concurrency ${String(CONCURRENCY)}
          --num-samples ${String(REQUESTS)} --workers 1 --report-dir ${report}
        `,
        { timeoutMs: 110_000 },
      );
      assertExit(r, 0);
      assert.doesNotMatch(r.stderr, /could not be sized|lengths are approximate/);
      const s = await readJson<ResultSummary>(path.join(report, REPORT_FILES.summary));
      assert.equal(s.n_samples_issued, REQUESTS);
      assert.equal(s.n_samples_completed, REQUESTS, JSON.stringify(s.errors));
      assert.equal(s.token_counts.synthetic?.exact, true, 'every prompt sized to its drawn length');
      assert.deepEqual(s.token_counts.synthetic?.output_fields, ['ignore_eos']);
      assert.deepEqual(s.token_counts.input.sources, { usage: REQUESTS, tokenizer: 0, none: 0 });
      assert.deepEqual(s.token_counts.input.usage_vs_tokenizer, {
        compared: REQUESTS,
        equal: REQUESTS,
        mean_pct: 0,
        max_abs_pct: 0,
      });
      const records = await readJsonl(path.join(report, REPORT_FILES.records));
      assert.equal(records.length, REQUESTS);
      for (const x of records) {
        const isl = x.input_tokens as number;
        assert.equal(x.error, null);
        assert.equal(x.input_token_source, 'usage');
        assert.ok(isl >= SHORTEST && isl <= LONGEST, `ISL ${isl} outside ${SHORTEST}..${LONGEST}`);
        assert.equal(x.tokenizer_input_tokens, isl, 'the tokenizer counts what the server counted');
        assert.equal(x.output_tokens, OUTPUT);
        assert.equal(x.token_source, 'usage');
        assert.equal(x.finish_reason, 'length');
      }
      console.error(
        `${api}: ISL ${records.map((x) => x.input_tokens).join(', ')}; OSL ${records.map((x) => x.output_tokens).join(', ')}`,
      );
    });
  });
}
