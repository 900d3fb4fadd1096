/**
 * --multi-turn end to end through `llm-loadgen benchmark`, against a plain node:http endpoint that
 * records every request and answers each turn with text naming its session and turn. It checks what
 * a session must do: turn k+1 only after turn k's answer ended, carrying the whole history (the
 * model's answer, or the dataset's), the session header, at most --concurrency sessions at once, the
 * think time, a failed turn ending its session — and the report's per-turn and per-conversation parts.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { assertExit, readJson, readJsonl, runCli, withTemp, cli } from '../cli/cli-process.js';

interface Seen {
  session: string;
  messages: { role: string; content: string | null }[];
  arrived: number;
  ended: number;
}

interface ChatServer {
  url: string;
  seen: Seen[];
  /** Requests that arrived while the same session had one in flight. */
  overlaps: number;
  peakSessions: number;
  close(): Promise<void>;
}

/** Streams `answer:<session>:<user turns>`; fails (500) the turns `fail` picks. */
async function startChatServer(fail: (s: Seen) => boolean = () => false): Promise<ChatServer> {
  const seen: Seen[] = [];
  const inFlight = new Set<string>();
  const state = { overlaps: 0, peakSessions: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: Seen['messages'] };
      const session = String(req.headers['x-session-id'] ?? '');
      const s: Seen = { session, messages: body.messages, arrived: Date.now(), ended: NaN };
      seen.push(s);
      if (inFlight.has(session)) state.overlaps++;
      inFlight.add(session);
      state.peakSessions = Math.max(state.peakSessions, inFlight.size);
      const done = () => {
        inFlight.delete(session);
        s.ended = Date.now();
      };
      if (fail(s)) {
        done();
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'turn failed on purpose', type: 'server_error' } }));
        return;
      }
      const userTurns = body.messages.filter((m) => m.role === 'user').length;
      const text = `answer:${session}:${userTurns}`;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const base = { id: 'x', object: 'chat.completion.chunk', created: 0, model: 'm' };
      const ev = (o: object) => res.write(`data: ${JSON.stringify({ ...base, ...o })}\n\n`);
      // The answer in two pieces, a little apart: a next turn sent before the end would overlap.
      ev({ choices: [{ index: 0, delta: { role: 'assistant', content: text.slice(0, 7) }, finish_reason: null }] });
      setTimeout(() => {
        ev({ choices: [{ index: 0, delta: { content: text.slice(7) }, finish_reason: 'stop' }] });
        ev({
          choices: [],
          usage: { prompt_tokens: 10 * userTurns, completion_tokens: 2, total_tokens: 10 * userTurns + 2 },
        });
        done();
        res.end('data: [DONE]\n\n');
      }, 15);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    get overlaps() {
      return state.overlaps;
    },
    get peakSessions() {
      return state.peakSessions;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Three ShareGPT conversations of 3, 2 and 3 turns, with a system prompt on the first. */
const SHAREGPT = [
  {
    id: 'c1',
    conversations: [
      { from: 'system', value: 'You are terse.' },
      { from: 'human', value: 'c1 q1' },
      { from: 'gpt', value: 'c1 a1' },
      { from: 'human', value: 'c1 q2' },
      { from: 'gpt', value: 'c1 a2' },
      { from: 'human', value: 'c1 q3' },
      { from: 'gpt', value: 'c1 a3' },
    ],
  },
  {
    id: 'c2',
    conversations: [
      { from: 'human', value: 'c2 q1' },
      { from: 'gpt', value: 'c2 a1' },
      { from: 'human', value: 'c2 q2' },
    ],
  },
  {
    id: 'c3',
    conversations: [
      { from: 'human', value: 'c3 q1' },
      { from: 'gpt', value: 'c3 a1' },
      { from: 'human', value: 'c3 q2' },
      { from: 'gpt', value: 'c3 a2' },
      { from: 'human', value: 'c3 q3' },
    ],
  },
];
const TURNS: Record<string, number> = { c1: 3, c2: 2, c3: 3 };

async function run(server: ChatServer, dir: string, extra: string[]) {
  const dataset = path.join(dir, 'sharegpt.json');
  await writeFile(dataset, JSON.stringify(SHAREGPT));
  const report = path.join(dir, 'report');
  const r = await runCli(
    [
      'benchmark',
      'online',
      '--endpoints',
      server.url,
      '--model',
      'm',
      '--dataset',
      dataset,
      '--multi-turn',
      '--concurrency',
      '2',
      '--workers',
      '1',
      '--max-output-tokens',
      '4',
      '--report-dir',
      report,
      ...extra,
    ],
    { timeoutMs: 60_000 },
  );
  return { r, report };
}

/** Requests per session, in arrival order. */
function bySession(seen: Seen[]): Map<string, Seen[]> {
  const m = new Map<string, Seen[]>();
  for (const s of seen) m.set(s.session, [...(m.get(s.session) ?? []), s]);
  return m;
}

test("each conversation runs as a session: turns in order after the answer, with the model's answers as history", async () => {
  const server = await startChatServer();
  try {
    await withTemp(async (tmp) => {
      const { r, report } = await run(server, tmp.dir, []);
      assertExit(r, 0);
      assert.equal(server.seen.length, 8, 'every turn of every conversation, once');
      assert.equal(server.overlaps, 0, 'no turn sent before the previous answer ended');
      assert.ok(server.peakSessions <= 2, `at most --concurrency sessions in flight (saw ${server.peakSessions})`);
      const sessions = bySession(server.seen);
      assert.deepEqual([...sessions.keys()].sort(), ['c1', 'c2', 'c3'], 'X-Session-ID is the conversation id');
      for (const [id, turns] of sessions) {
        assert.equal(turns.length, TURNS[id], id);
        turns.forEach((t, k) => {
          const expected: Seen['messages'] = id === 'c1' ? [{ role: 'system', content: 'You are terse.' }] : [];
          for (let j = 0; j <= k; j++) {
            expected.push({ role: 'user', content: `${id} q${j + 1}` });
            if (j < k) expected.push({ role: 'assistant', content: `answer:${id}:${j + 1}` });
          }
          assert.deepEqual(t.messages, expected, `${id} turn ${k + 1} carries the whole history, the model's answers`);
          if (k > 0) assert.ok(t.arrived >= turns[k - 1].ended, `${id} turn ${k + 1} after turn ${k} ended`);
        });
      }
      const records = await readJsonl(path.join(report, REPORT_FILES.records));
      assert.equal(records.length, 8);
      assert.deepEqual(records.map((x) => x.turn).sort(), [1, 1, 1, 2, 2, 2, 3, 3], 'records carry the turn');
      assert.equal(new Set(records.map((x) => x.conversation)).size, 3, 'and the conversation');
      assert.ok(
        records.every((x) => !('text' in x)),
        'the captured answers do not go into records',
      );
      const summary = await readJson<{
        n_samples_issued: number;
        n_samples_completed: number;
        conversations: {
          conversations: number;
          completed: number;
          cut_short: number;
          per_turn: { turn: string; requests: number; completed: number; ttft: { median: number | null } }[];
          turns_per_conversation: { total: number };
          output_tokens: { total: number };
          ttft_first_turn: { median: number | null };
          ttft_later_turns: { median: number | null };
        };
      }>(path.join(report, REPORT_FILES.summary));
      assert.equal(summary.n_samples_issued, 8);
      assert.equal(summary.n_samples_completed, 8);
      const c = summary.conversations;
      assert.equal(c.conversations, 3);
      assert.equal(c.completed, 3);
      assert.equal(c.cut_short, 0);
      assert.deepEqual(
        c.per_turn.map((t) => [t.turn, t.requests, t.completed]),
        [
          ['1', 3, 3],
          ['2', 3, 3],
          ['3', 2, 2],
        ],
      );
      assert.ok(c.per_turn.every((t) => t.ttft.median !== null && t.ttft.median > 0));
      assert.ok(c.ttft_first_turn.median !== null && c.ttft_later_turns.median !== null);
      assert.equal(c.turns_per_conversation.total, 8);
      assert.equal(c.output_tokens.total, 16, '2 tokens per turn, from usage');
      assert.match(r.stdout, /conversations \(--multi-turn\)/);
      assert.match(r.stdout, /conversations: 3 \(3 completed every turn, 0 cut short\)/);
    });
  } finally {
    await server.close();
  }
});

test("--multi-turn-history dataset sends the dataset's answers; --think-time waits between turns; a named --session-header replaces X-Session-ID", async () => {
  const server = await startChatServer();
  try {
    await withTemp(async (tmp) => {
      const { r } = await run(server, tmp.dir, [
        '--multi-turn-history',
        'dataset',
        '--think-time',
        '300ms',
        '--session-header',
        'X-Conv',
      ]);
      assertExit(r, 0);
      assert.equal(server.seen.length, 8);
      // The server groups by X-Session-ID, which is not sent now: one group, told apart by content.
      assert.deepEqual([...bySession(server.seen).keys()], [''], 'X-Session-ID not sent when another header is named');
      const byFirst = new Map<string, Seen[]>();
      for (const s of server.seen) {
        const first = s.messages.find((m) => m.role === 'user')!.content!.split(' ')[0];
        byFirst.set(first, [...(byFirst.get(first) ?? []), s]);
      }
      for (const [id, turns] of byFirst) {
        turns.forEach((t, k) => {
          const answers = t.messages.filter((m) => m.role === 'assistant').map((m) => m.content);
          assert.deepEqual(
            answers,
            Array.from({ length: k }, (_, j) => `${id} a${j + 1}`),
            `${id} turn ${k + 1}`,
          );
          // 300 ms think time; the server's clock is coarse (ms) and its `ended` precedes the client's end.
          if (k > 0)
            assert.ok(
              t.arrived - turns[k - 1].ended >= 290,
              `${id}: ${t.arrived - turns[k - 1].ended} ms between turns`,
            );
        });
      }
    });
  } finally {
    await server.close();
  }
});

test('a failed turn ends its conversation (the next turn is not sent) and the report says cut short', async () => {
  const server = await startChatServer(
    (s) => s.session === 'c1' && s.messages.filter((m) => m.role === 'user').length === 2,
  );
  try {
    await withTemp(async (tmp) => {
      const { r, report } = await run(server, tmp.dir, []);
      assertExit(r, 0);
      const c1 = bySession(server.seen).get('c1')!;
      assert.equal(c1.length, 2, 'c1 turn 3 is never sent after its turn 2 failed');
      assert.equal(server.seen.length, 7);
      const summary = await readJson<{
        n_samples_failed: number;
        conversations: { completed: number; cut_short: number };
      }>(path.join(report, REPORT_FILES.summary));
      assert.equal(summary.n_samples_failed, 1);
      assert.equal(summary.conversations.completed, 2);
      assert.equal(summary.conversations.cut_short, 1);
    });
  } finally {
    await server.close();
  }
});

test('--num-conversations repeats conversations as new sessions; --multi-turn needs --concurrency and the chat API', async () => {
  const server = await startChatServer();
  try {
    await withTemp(async (tmp) => {
      const { r } = await run(server, tmp.dir, ['--num-conversations', '5']);
      assertExit(r, 0);
      const sessions = [...bySession(server.seen).keys()].sort();
      assert.equal(sessions.length, 5);
      assert.ok(
        sessions.some((s) => s.includes('~1')),
        `a repeat has its own session id: ${sessions.join(', ')}`,
      );
      const dataset = path.join(tmp.dir, 'sharegpt.json');
      const base = cli`benchmark online --endpoints ${server.url} --model m --dataset ${dataset} --multi-turn`;
      const noConcurrency = await runCli([...base, '--target-qps', '5', '--report-dir', path.join(tmp.dir, 'r2')]);
      assertExit(noConcurrency, 2);
      assert.match(noConcurrency.stderr, /--multi-turn: needs --concurrency N/);
      const completions = await runCli([
        ...base,
        '--concurrency',
        '2',
        '--api-type',
        'completions',
        '--report-dir',
        path.join(tmp.dir, 'r3'),
      ]);
      assertExit(completions, 2);
      assert.match(completions.stderr, /--multi-turn: needs the chat API/);
    });
  } finally {
    await server.close();
  }
});

test('--duration ends a multi-turn run: no turn after the window, sessions between turns are cut short', async () => {
  const server = await startChatServer();
  try {
    await withTemp(async (tmp) => {
      const { r, report } = await run(server, tmp.dir, ['--duration', '1500ms', '--think-time', '1s']);
      assertExit(r, 0);
      // Turns at ~0 s and ~1.02 s; a third turn (or a new session's second) would be at ~2 s, past the window.
      const first = Math.min(...server.seen.map((x) => x.arrived));
      assert.ok(
        server.seen.every((x) => x.arrived - first < 1500),
        `arrivals at ${server.seen.map((x) => x.arrived - first).join(', ')} ms`,
      );
      const sessions = bySession(server.seen);
      const completed = [...sessions].filter(([id, turns]) => turns.length === TURNS[id]).length;
      const summary = await readJson<{
        conversations: { conversations: number; completed: number; cut_short: number };
      }>(path.join(report, REPORT_FILES.summary));
      assert.equal(summary.conversations.conversations, sessions.size);
      assert.equal(summary.conversations.completed, completed);
      assert.equal(summary.conversations.cut_short, sessions.size - completed);
      assert.ok(summary.conversations.cut_short >= 1, 'the window cut at least one conversation short');
    });
  } finally {
    await server.close();
  }
});
