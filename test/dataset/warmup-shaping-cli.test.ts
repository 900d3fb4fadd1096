/**
 * The warmup phase and request shaping end to end, against a server that keeps every body: what
 * warmup sends (salted, counted, never in the figures or records.jsonl) and what --stop and
 * --extra-body put in every body.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPORT_FILES } from '../../src/report/report-files.js';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import type { WorkloadSummary } from '../../src/run/workload-summary.js';
import { warmupSettings } from '../../src/run/warmup-phase.js';
import {
  assertExit,
  describeResult,
  readJson,
  readJsonl,
  runCli,
  startRecordingServer,
  withTemp,
  cli,
} from '../cli/cli-process.js';

type Summary = ResultSummary & WorkloadSummary;
type Body = Record<string, unknown> & { messages: { role: string; content: string }[] };

const SALT = /^\[[0-9a-f]{16}\] /;

test(
  'warmup: salted requests before the measured ones, counted apart; --stop and --extra-body in every body',
  { timeout: 60_000 },
  async () => {
    const server = await startRecordingServer();
    try {
      await withTemp(async ({ dir }) => {
        const report = path.join(dir, 'r');
        const r = await runCli(cli`
          benchmark online --endpoints ${server.url} --model m --concurrency 2 --num-samples 5 --workers 2
          --warmup-requests 3 --warmup-salt --stop END --stop ${'\n\n'} --extra-body
          ${'{"ignore_eos": true, "temperature": 1, "chat_template_kwargs": {"enable_thinking": false}}'}
          --temperature 0 --report-dir ${report}
        `);
        assertExit(r, 0);
        assert.match(r.stderr, /warmup: 3 requests \(0 failed\) in [\d.]+ s; not in the figures below/);
        const bodies = server.bodies.filter((b) => b !== '').map((b) => JSON.parse(b) as Body);
        assert.equal(bodies.length, 8, describeResult(r));
        // The warmup ran first and to its end: the first 3 bodies are salted, the rest are not.
        const salted = bodies.map((b) => SALT.test(b.messages[0].content));
        assert.deepEqual(salted, [true, true, true, false, false, false, false, false]);
        assert.equal(
          new Set(bodies.slice(0, 3).map((b) => b.messages[0].content.slice(0, 19))).size,
          3,
          'a salt per request',
        );
        for (const b of bodies) {
          assert.deepEqual(b.stop, ['END', '\n\n']);
          assert.equal(b.ignore_eos, true);
          assert.equal(b.temperature, 0, 'the named option wins over --extra-body');
          assert.deepEqual(b.chat_template_kwargs, { enable_thinking: false });
          assert.equal(b.model, 'm');
          assert.equal(b.stream, true);
        }
        const s = await readJson<Summary>(path.join(report, REPORT_FILES.summary));
        assert.equal(s.n_samples_issued, 5);
        assert.deepEqual(
          { ...s.warmup, duration_s: 0 },
          { requests: 3, completed: 3, failed: 0, duration_s: 0, salted: true },
        );
        assert.equal(
          (await readJsonl(path.join(report, REPORT_FILES.records))).length,
          5,
          'warmup records are not in records.jsonl',
        );
      });
    } finally {
      await server.close();
    }
  },
);

test(
  '--extra-body that would set what llm-loadgen writes, or is not an object, exits 2 naming the flag',
  { timeout: 60_000 },
  async () => {
    for (const [body, pattern] of [
      ['{"model": "x", "stream": false}', /--extra-body: cannot set "model", "stream"/],
      ['{"messages": []}', /--extra-body: cannot set "messages"/],
      ['[1]', /--extra-body: must be a JSON object/],
      ['{oops', /--extra-body: not valid JSON/],
    ] as const) {
      const r = await runCli(
        cli`benchmark offline --endpoints http://127.0.0.1:9 --model m --extra-body ${body} --dry-run`,
      );
      assertExit(r, 2);
      assert.match(r.stderr, pattern);
    }
  },
);

test('warmup settings: a count or duration turns it on, enabled: false turns it off, enabled alone sends the dataset once', () => {
  const base = { warmupEnabled: undefined, warmupRequests: undefined, warmupDuration: undefined, warmupSalt: false };
  assert.equal(warmupSettings(base, 100), null);
  assert.deepEqual(warmupSettings({ ...base, warmupRequests: 7 }, 100), {
    requests: 7,
    durationMs: Infinity,
    salt: false,
  });
  assert.deepEqual(warmupSettings({ ...base, warmupDuration: 2000 }, 100), {
    requests: Infinity,
    durationMs: 2000,
    salt: false,
  });
  assert.equal(warmupSettings({ ...base, warmupEnabled: false, warmupRequests: 7 }, 100), null);
  assert.deepEqual(warmupSettings({ ...base, warmupEnabled: true, warmupSalt: true }, 100), {
    requests: 100,
    durationMs: Infinity,
    salt: true,
  });
});
