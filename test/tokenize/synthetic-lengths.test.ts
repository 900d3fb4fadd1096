/**
 * --dataset synthetic:input=…: prompts of exactly their drawn length for the run's tokenizer,
 * a shared prefix, seeded; against the mock OSL = output for every request, with ignore_eos (or
 * min_tokens) sent.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { tokenLengthDataset } from '../../src/dataset/synthetic-dataset.js';
import { parseSyntheticSpec } from '../../src/dataset/synthetic-spec.js';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { promptBodyOf } from '../../src/tokenize/count-prompts.js';
import { loadLocalTokenizer, type LocalTokenizer } from '../../src/tokenize/local-tokenizer.js';
import { assertExit, readJson, readJsonl, runCli, withMock, withTemp, cli } from '../cli/cli-process.js';
import { startPlainServer } from './plain-server.js';
import { letterTokenizerJson, writeTokenizerDir } from './test-tokenizer.js';

test('the synthetic grammar: defaults, canonical text, and errors that say what to write', () => {
  assert.deepEqual(parseSyntheticSpec('synthetic:input=1024,output=256,range=0.1,prefix=512,n=1000'), {
    input: 1024,
    output: 256,
    range: 0.1,
    prefix: 512,
    n: 1000,
    text: 'synthetic:input=1024,output=256,range=0.1,prefix=512,n=1000',
  });
  assert.deepEqual(parseSyntheticSpec(' synthetic:n=5, input=8 '), {
    input: 8,
    range: 0,
    prefix: 0,
    n: 5,
    text: 'synthetic:input=8,n=5',
  });
  for (const [text, pattern] of [
    ['synthetic:output=4', /give the input length/],
    ['synthetic:input=10,isl=3', /"isl".*unknown synthetic option.*input, output, range, prefix, n/],
    ['synthetic:input=10,range=1', /range=1 .*fraction/],
    ['synthetic:input=10,n=0', /n=0 .*positive integer/],
    ['synthetic:input=10.5', /input=10.5 .*positive integer/],
    ['synthetic:input=100,range=0.5,prefix=50', /prefix=50 .*shortest prompt \(50 tokens\)/],
    ['synthetic:input=10,input=11', /input given twice/],
  ] as const) {
    assert.throws(() => parseSyntheticSpec(text), pattern, text);
  }
});

function lengthsWith(t: LocalTokenizer, apiType: 'chat' | 'completions', specText: string, seed: number) {
  const spec = parseSyntheticSpec(specText);
  const request = { apiType, model: 'm', streaming: false } as const;
  const countRequest = (prompt: string) => t.countSync(promptBodyOf({ prompt }, request));
  const built = tokenLengthDataset({
    spec,
    seed,
    countRequest,
    countText: (text) => t.tokenizer.encode(text, { add_special_tokens: false }).ids.length,
  });
  return { spec, built, counts: built.samples.map((s) => countRequest(s.prompt)) };
}

test('with a tokenizer every prompt counts within ±range, the prefix is shared and exact, and the seed decides', async () => {
  await withTemp(async (tmp) => {
    const words = loadLocalTokenizer(await writeTokenizerDir(path.join(tmp.dir, 'words'), { bos: true }));
    const lettersFile = path.join(tmp.dir, 'letters.json');
    await writeFile(lettersFile, JSON.stringify(letterTokenizerJson()));
    const letters = loadLocalTokenizer(lettersFile);
    const text = 'synthetic:input=120,output=16,range=0.2,prefix=30,n=25';
    for (const [name, t, api] of [
      ['word tokenizer, chat template', words, 'chat'],
      ['word tokenizer, completions with BOS', words, 'completions'],
      ['letter tokenizer, completions', letters, 'completions'],
    ] as const) {
      const { built, counts } = lengthsWith(t, api, text, 42);
      assert.equal(built.missed, 0, name);
      assert.equal(built.samples.length, 25);
      for (const n of counts) assert.ok(n >= 96 && n <= 144, `${name}: ${n} outside [96, 144]`);
      assert.ok(new Set(counts).size > 5, `${name}: lengths are drawn, not fixed (${counts.join(' ')})`);
      const prefixWords = built.samples[0].prompt.split(' ');
      // The prefix: the longest run of leading words every prompt shares, exactly 30 tokens.
      let shared = prefixWords.length;
      for (const s of built.samples) {
        const w = s.prompt.split(' ');
        let k = 0;
        while (k < shared && w[k] === prefixWords[k]) k++;
        shared = k;
      }
      const prefixText = prefixWords.slice(0, shared).join(' ');
      assert.ok(prefixText.startsWith('Shared context for every request:'), name);
      const prefixTokens = t.tokenizer.encode(prefixText, { add_special_tokens: false }).ids.length;
      assert.ok(prefixTokens >= 30 && prefixTokens <= 31, `${name}: shared prefix ${prefixTokens} tokens`);
      for (const s of built.samples) assert.equal(s.maxOutputTokens, 16);
      assert.deepEqual(lengthsWith(t, api, text, 42).built.samples, built.samples, `${name}: same seed, same prompts`);
      assert.notDeepEqual(lengthsWith(t, api, text, 43).built.samples, built.samples, `${name}: another seed`);
    }
    // range 0: every prompt is exactly `input`.
    const fixed = lengthsWith(letters, 'completions', 'synthetic:input=50,n=10', 1);
    assert.deepEqual(fixed.counts, new Array(10).fill(50));
  });
});

test(
  'against the mock: ISL within range, OSL = output for every request; ignore_eos / min_tokens sent',
  { timeout: 120_000 },
  async () => {
    await withTemp(async (tmp) => {
      const dir = await writeTokenizerDir(path.join(tmp.dir, 'tok'), {
        chatTemplate: '{% for m in messages %}{{ m.content }}\n{% endfor %}',
      });
      const spec = 'synthetic:input=60,output=12,range=0.25,prefix=10,n=20';
      const plain = await startPlainServer();
      try {
        await withMock({ outputTokens: 3 }, async (mock) => {
          const base = cli`benchmark offline --model m --workers 1 --dataset ${spec}`;
          const [exact, approx, forced] = await Promise.all([
            runCli([...base, '--endpoints', mock.url, '--tokenizer', dir, '--report-dir', path.join(tmp.dir, 'exact')]),
            runCli([
              ...base,
              '--endpoints',
              mock.url,
              '--streaming',
              'on',
              '--report-dir',
              path.join(tmp.dir, 'approx'),
            ]),
            runCli([
              ...base,
              '--endpoints',
              plain.url,
              '--force-output-length',
              'both',
              '--report-dir',
              path.join(tmp.dir, 'forced'),
            ]),
          ]);
          assertExit(exact, 0);
          assertExit(approx, 0);
          assertExit(forced, 0);
          assert.doesNotMatch(exact.stderr, /approximate/);
          assert.match(approx.stderr, /note: synthetic lengths are approximate: without --tokenizer PATH/);

          for (const name of ['exact', 'approx']) {
            const s = await readJson<ResultSummary>(path.join(tmp.dir, name, REPORT_FILES.summary));
            assert.equal(s.n_samples_completed, 20, name);
            assert.deepEqual(s.token_counts.input.sources, { usage: 20, tokenizer: 0, none: 0 }, name);
            assert.ok(s.input_sequence_lengths.min! >= 45 && s.input_sequence_lengths.max! <= 75, name);
            assert.equal(s.output_sequence_lengths.min, 12, name);
            assert.equal(s.output_sequence_lengths.max, 12, name);
            for (const r of await readJsonl(path.join(tmp.dir, name, REPORT_FILES.records)))
              assert.equal(r.output_tokens, 12);
            assert.equal(s.token_counts.synthetic?.exact, name === 'exact', name);
            assert.deepEqual(s.token_counts.synthetic?.output_fields, ['ignore_eos'], name);
          }
          // config.yaml keeps the spec as the dataset path (not resolved as a file), so from-config reruns it.
          const config = await readFile(path.join(tmp.dir, 'exact', REPORT_FILES.config), 'utf8');
          assert.match(config, /path: synthetic:input=60,output=12,range=0\.25,prefix=10,n=20\n/);
          assert.match(config, /force_output_length: ignore_eos/);
          assert.match(config, new RegExp(`tokenizer_name: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
          const exactSummary = await readJson<ResultSummary>(path.join(tmp.dir, 'exact', REPORT_FILES.summary));
          assert.equal(
            exactSummary.token_counts.input.usage_vs_tokenizer?.equal,
            20,
            'the sizing tokenizer agrees with usage',
          );
          const approxSummary = await readJson<ResultSummary>(path.join(tmp.dir, 'approx', REPORT_FILES.summary));
          assert.ok(approxSummary.warnings.some((w) => w.startsWith('synthetic lengths are approximate')));

          assert.equal(plain.completionBodies.length, 20);
          for (const b of plain.completionBodies) {
            assert.equal(b.max_tokens, 12);
            assert.equal(b.ignore_eos, true);
            assert.equal(b.min_tokens, 12);
          }
        });
      } finally {
        await plain.close();
      }
    });
  },
);
