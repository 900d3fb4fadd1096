/**
 * --multi-turn on a real engine with a prompt cache (llama-server keeps each slot's KV cache and
 * reuses the longest matching prefix): turn 1 pays the prefill of a long first message, later turns
 * resend it as history and are served mostly from the cache. The report has TTFT per turn and the
 * cached share the server reports; every turn of every conversation is accounted for.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { assertExit, readJson, readJsonl, runCli, withTemp } from '../cli/cli-process.js';
import { useLlamaServer } from '../fixtures/llama-server.js';

const engine = useLlamaServer({ parallel: 4 });

const CONVERSATIONS = 4;
const TURNS = 4;

interface TurnRow {
  turn: string;
  requests: number;
  completed: number;
  ttft: { median: number | null };
  input_tokens: { median: number | null };
  cached_prompt_fraction: number | null;
}

test(`${CONVERSATIONS} conversations of ${TURNS} turns at concurrency 2: per-turn TTFT, later turns from the prompt cache`, async (t) => {
  const server = engine.get(t);
  if (server === null) return;
  await withTemp(async (tmp) => {
    // A long first message (~600 tokens) makes the prefill worth caching; later ones are short.
    const rows = [];
    for (let c = 0; c < CONVERSATIONS; c++) {
      const conversations = [];
      for (let k = 0; k < TURNS; k++) {
        const text =
          k === 0
            ? `Conversation ${c}. ` + 'Summarise the following report about river ecology and flood plains. '.repeat(50)
            : `Conversation ${c}, follow-up ${k}: and then?`;
        conversations.push({ from: 'human', value: text }, { from: 'gpt', value: `dataset answer ${k}` });
      }
      rows.push({ id: `conv-${c}`, conversations });
    }
    const dataset = path.join(tmp.dir, 'conversations.json');
    await writeFile(dataset, JSON.stringify(rows));
    const report = path.join(tmp.dir, 'report');
    const r = await runCli(
      [
        'benchmark',
        'online',
        '--endpoints',
        server.url,
        '--model',
        'tiny',
        '--dataset',
        dataset,
        '--multi-turn',
        '--concurrency',
        '2',
        // A user's pause between turns; also past the ~8 ms after which the engine closes the
        // connection of each streamed answer, so the next turn never races that close.
        '--think-time',
        '50ms',
        '--max-output-tokens',
        '8',
        '--workers',
        '1',
        '--report-dir',
        report,
      ],
      { timeoutMs: 110_000 },
    );
    assertExit(r, 0);
    const s = await readJson<{
      n_samples_issued: number;
      n_samples_completed: number;
      conversations: { conversations: number; completed: number; per_turn: TurnRow[] };
    }>(path.join(report, REPORT_FILES.summary));
    assert.equal(s.n_samples_issued, CONVERSATIONS * TURNS);
    assert.equal(s.n_samples_completed, CONVERSATIONS * TURNS);
    assert.equal(s.conversations.conversations, CONVERSATIONS);
    assert.equal(s.conversations.completed, CONVERSATIONS);
    const perTurn = s.conversations.per_turn;
    assert.deepEqual(
      perTurn.map((x) => [x.turn, x.completed]),
      Array.from({ length: TURNS }, (_, k) => [String(k + 1), CONVERSATIONS]),
    );
    for (const row of perTurn) assert.ok(row.ttft.median !== null && row.ttft.median > 0, `turn ${row.turn} TTFT`);
    // The history grows every turn: the server counts more input tokens each time.
    for (let k = 1; k < TURNS; k++) assert.ok(perTurn[k].input_tokens.median! > perTurn[k - 1].input_tokens.median!);
    // Later turns resend turn 1's long message: the server says it served most of it from the cache.
    for (const row of perTurn.slice(1)) {
      assert.ok(row.cached_prompt_fraction !== null, `turn ${row.turn}: llama-server reports cached tokens`);
      assert.ok(row.cached_prompt_fraction > 0.5, `turn ${row.turn}: cached ${row.cached_prompt_fraction}`);
    }
    assert.match(r.stdout, /TTFT turn 1: median [\d.]+ ms/);
    const records = await readJsonl(path.join(report, REPORT_FILES.records));
    assert.ok(records.every((x) => x.retries === 0 && x.error === null));
    console.error(
      'llama-server multi-turn TTFT median by turn (ms): ' +
        perTurn
          .map(
            (x) => `${x.turn}: ${(x.ttft.median! / 1e6).toFixed(1)} (cached ${x.cached_prompt_fraction?.toFixed(2)})`,
          )
          .join(', '),
    );
  });
});
