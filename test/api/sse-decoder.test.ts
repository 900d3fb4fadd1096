import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseDecoder, SseFailure } from '../../src/api/sse-decoder.js';
import { BufferBudget } from '../../src/api/buffer-budget.js';

type Ev = [event: string, data: string];

/** A decoder whose sink records every dispatched event. */
function recorder(): { decoder: SseDecoder; events: Ev[] } {
  const events: Ev[] = [];
  const decoder = new SseDecoder({
    onSseEvent: (event, buf, start, end) => events.push([event, buf.toString('utf8', start, end)]),
  });
  return { decoder, events };
}

/** Small seeded PRNG (mulberry32) so the random splits are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chunk(delta: object, finish: string | null = null): string {
  return JSON.stringify({
    id: 'chatcmpl-abc123',
    object: 'chat.completion.chunk',
    created: 1718000000,
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
}

const ROLE = chunk({ role: 'assistant', content: '' });
const C1 = chunk({ content: 'héllo' });
const C2 = chunk({ content: ' 世界' });
const C3 = chunk({ content: ' 🚀' });
const FINISH = chunk({}, 'stop');
const USAGE = JSON.stringify({
  id: 'chatcmpl-abc123',
  object: 'chat.completion.chunk',
  created: 1718000000,
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  choices: [],
  usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
});

/** A captured-style OpenAI chat stream, as lines (joined with the line ending under test). */
const LINES = [
  ': keep-alive',
  '',
  'id: 1',
  'retry: 3000',
  `data: ${ROLE}`,
  '',
  `data: ${C1}`,
  '',
  // blank lines with no data in between dispatch nothing
  '',
  '',
  `data: ${C2}`,
  '',
  ': keep-alive',
  'event: message',
  `data: ${C3}`,
  '',
  // a multi-line data event (fields in between are ignored, comments too)
  'data: first line',
  ': interleaved comment',
  'id: 7',
  'data: second line',
  'data:   third line keeps two leading spaces',
  '',
  `data: ${FINISH}`,
  '',
  `data: ${USAGE}`,
  '',
  'data: [DONE]',
  '',
];

const EXPECTED: Ev[] = [
  ['', ROLE],
  ['', C1],
  ['', C2],
  ['message', C3],
  ['', 'first line\nsecond line\n  third line keeps two leading spaces'],
  ['', FINISH],
  ['', USAGE],
  ['', '[DONE]'],
];

for (const eol of ['\n', '\r\n']) {
  const name = eol === '\n' ? 'LF' : 'CRLF';
  const bytes = Buffer.from(LINES.join(eol) + eol, 'utf8');

  test(`${name}: one write yields the expected events`, () => {
    const { decoder, events } = recorder();
    decoder.write(bytes, 0, bytes.length);
    decoder.end();
    assert.deepEqual(events, EXPECTED);
    assert.equal(decoder.pendingBytes, 0);
    // sanity: the multi-byte characters survived
    assert.equal(
      (JSON.parse(events[1][1]) as { choices: { delta: { content: string } }[] }).choices[0].delta.content,
      'héllo',
    );
    assert.equal(
      (JSON.parse(events[3][1]) as { choices: { delta: { content: string } }[] }).choices[0].delta.content,
      ' 🚀',
    );
  });

  test(`${name}: split at every byte position (two writes into one buffer) gives the same events`, () => {
    for (let i = 0; i <= bytes.length; i++) {
      const { decoder, events } = recorder();
      decoder.write(bytes, 0, i);
      decoder.write(bytes, i, bytes.length);
      decoder.end();
      assert.deepEqual(events, EXPECTED, `split at ${i}`);
    }
  });

  test(`${name}: split at every byte position, each piece a view inside a larger buffer with LF-laden junk around it`, () => {
    // Junk around the view must never be read: start/end bound every search.
    const junk = Buffer.from('\n\ndata: JUNK\n\n:\r\n', 'latin1');
    const framed = (piece: Buffer) => ({
      buf: Buffer.concat([junk, piece, junk]),
      start: junk.length,
      end: junk.length + piece.length,
    });
    for (let i = 0; i <= bytes.length; i++) {
      const { decoder, events } = recorder();
      for (const piece of [bytes.subarray(0, i), bytes.subarray(i)]) {
        const f = framed(Buffer.from(piece));
        decoder.write(f.buf, f.start, f.end);
      }
      decoder.end();
      assert.deepEqual(events, EXPECTED, `split at ${i}`);
    }
  });

  test(`${name}: a partial line survives the caller overwriting its buffer after write()`, () => {
    for (let i = 0; i <= bytes.length; i++) {
      const { decoder, events } = recorder();
      const scratch = Buffer.from(bytes.subarray(0, i));
      decoder.write(scratch, 0, scratch.length);
      scratch.fill(0x0a); // a reused read buffer, now full of line feeds
      decoder.write(bytes, i, bytes.length);
      decoder.end();
      assert.deepEqual(events, EXPECTED, `split at ${i}`);
    }
  });

  test(`${name}: byte by byte gives the same events`, () => {
    const { decoder, events } = recorder();
    for (let i = 0; i < bytes.length; i++) decoder.write(Buffer.from([bytes[i]]), 0, 1);
    decoder.end();
    assert.deepEqual(events, EXPECTED);
  });

  test(`${name}: random-sized pieces (seeded) give the same events`, () => {
    const next = rng(eol.length * 7919);
    for (let round = 0; round < 300; round++) {
      const { decoder, events } = recorder();
      let pos = 0;
      let writes = 0;
      while (pos < bytes.length) {
        const size = 1 + Math.floor(next() * (round % 3 === 0 ? 8 : 200));
        const end = Math.min(bytes.length, pos + size);
        // alternate between views of the original buffer and fresh copies
        if (writes % 2 === 0) decoder.write(bytes, pos, end);
        else decoder.write(Buffer.from(bytes.subarray(pos, end)), 0, end - pos);
        pos = end;
        writes++;
        assert.ok(writes <= bytes.length, 'bounded');
      }
      decoder.end();
      assert.deepEqual(events, EXPECTED, `round ${round}`);
    }
  });

  test(`${name}: events are dispatched as soon as their blank line arrives, not later`, () => {
    const { decoder, events } = recorder();
    const first = Buffer.from(`data: a${eol}${eol}data: b${eol}`, 'utf8');
    decoder.write(first, 0, first.length);
    assert.deepEqual(events, [['', 'a']]);
    const rest = Buffer.from(eol, 'utf8');
    decoder.write(rest, 0, rest.length);
    assert.deepEqual(events, [
      ['', 'a'],
      ['', 'b'],
    ]);
  });
}

function decodeAll(text: string, finish = true): Ev[] {
  const { decoder, events } = recorder();
  const b = Buffer.from(text, 'utf8');
  decoder.write(b, 0, b.length);
  if (finish) decoder.end();
  return events;
}

test('"data:" without a space after the colon', () => {
  assert.deepEqual(decodeAll('data:{"a":1}\n\n'), [['', '{"a":1}']]);
  // only one leading space is removed
  assert.deepEqual(decodeAll('data:  x\n\n'), [['', ' x']]);
  assert.deepEqual(decodeAll('event:update\ndata:x\n\n'), [['update', 'x']]);
});

test('a field with no colon: "data" alone is an empty data line; other names are ignored', () => {
  assert.deepEqual(decodeAll('data\n\n'), [['', '']]);
  assert.deepEqual(decodeAll('data: a\ndata\ndata: b\n\n'), [['', 'a\n\nb']]);
  assert.deepEqual(decodeAll('bogus\ndata: x\n\n'), [['', 'x']]);
  assert.deepEqual(decodeAll('event\ndata: x\n\n'), [['', 'x']]);
});

test('field names are exact: "Data", "data " and "dataX" are not data', () => {
  assert.deepEqual(decodeAll('Data: x\n\ndata : y\n\ndataX: z\n\n'), []);
});

test('an event not terminated by a blank line before end() is not dispatched', () => {
  assert.deepEqual(decodeAll('data: complete\n\ndata: partial\n'), [['', 'complete']]);
  // final line without its line ending either
  assert.deepEqual(decodeAll('data: complete\n\ndata: partial'), [['', 'complete']]);
  assert.deepEqual(decodeAll('data: complete\r\n\r\ndata: partial\r\n'), [['', 'complete']]);
  // end() forgets the partial event: a later stream on the same decoder starts clean
  const { decoder, events } = recorder();
  const a = Buffer.from('event: e\ndata: partial');
  decoder.write(a, 0, a.length);
  decoder.end();
  const b = Buffer.from('data: fresh\n\n');
  decoder.write(b, 0, b.length);
  assert.deepEqual(events, [['', 'fresh']]);
});

test('an empty data line dispatches an event with empty data', () => {
  assert.deepEqual(decodeAll('data:\n\n'), [['', '']]);
  assert.deepEqual(decodeAll('data: \n\n'), [['', '']]);
  assert.deepEqual(decodeAll('data:\r\n\r\n'), [['', '']]);
});

test('blank lines, comments and id/retry/event-only blocks dispatch nothing', () => {
  assert.deepEqual(decodeAll('\n\n\n\r\n\r\n'), []);
  assert.deepEqual(decodeAll(': ping\n\n: ping\r\n\r\n'), []);
  assert.deepEqual(decodeAll('id: 1\nretry: 10\n\n'), []);
  // an event name without data is forgotten at the blank line; it does not leak into the next event
  assert.deepEqual(decodeAll('event: error\n\ndata: x\n\n'), [['', 'x']]);
});

test('the event name resets after each dispatch', () => {
  assert.deepEqual(decodeAll('event: error\ndata: {"error":"x"}\n\ndata: y\n\n'), [
    ['error', '{"error":"x"}'],
    ['', 'y'],
  ]);
});

test('a CR split from its LF across writes is still one CRLF', () => {
  const { decoder, events } = recorder();
  for (const part of ['data: a\r', '\n\r', '\n']) {
    const b = Buffer.from(part);
    decoder.write(b, 0, b.length);
  }
  assert.deepEqual(events, [['', 'a']]);
});

test('a 4-byte UTF-8 character split at each of its bytes', () => {
  const b = Buffer.from('data: 🚀\n\n', 'utf8');
  const rocket = b.indexOf(0xf0);
  for (let i = rocket; i <= rocket + 4; i++) {
    const { decoder, events } = recorder();
    decoder.write(b, 0, i);
    decoder.write(b, i, b.length);
    assert.deepEqual(events, [['', '🚀']], `split at ${i}`);
  }
});

test('pendingBytes counts the partial line and reset() forgets everything', () => {
  const { decoder, events } = recorder();
  const b = Buffer.from('event: x\ndata: one\n\ndata: par');
  decoder.write(b, 0, b.length);
  assert.equal(decoder.pendingBytes, 9);
  const other: Ev[] = [];
  decoder.reset({ onSseEvent: (e, b, s, x) => other.push([e, b.toString('utf8', s, x)]) });
  assert.equal(decoder.pendingBytes, 0);
  const c = Buffer.from('tial\n\ndata: two\n\n');
  decoder.write(c, 0, c.length);
  assert.deepEqual(events, [['x', 'one']]);
  assert.deepEqual(other, [['', 'two']]);
});

test('a long line arriving in many small pieces is decoded once, intact', () => {
  const long = 'x'.repeat(100_000) + 'é';
  const b = Buffer.from(`data: ${long}\n\n`, 'utf8');
  const { decoder, events } = recorder();
  for (let pos = 0; pos < b.length; pos += 977) decoder.write(b, pos, Math.min(b.length, pos + 977));
  assert.deepEqual(events, [['', long]]);
});

/** Feed `total` bytes of one never-ending line in `piece`-byte writes; returns CPU ms and the write that refused. */
function feedLongLine(decoder: SseDecoder, total: number, piece: number): { cpuMs: number; refusedAt: number } {
  const buf = Buffer.alloc(piece, 0x61);
  const head = Buffer.from('data: ');
  decoder.write(head, 0, head.length);
  const t0 = process.cpuUsage();
  let refusedAt = -1;
  for (let sent = 0; sent < total; sent += piece) {
    if (!decoder.write(buf, 0, piece)) {
      refusedAt = sent;
      break;
    }
  }
  const cpu = process.cpuUsage(t0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, refusedAt };
}

test('a 50 MB line in 64 KiB reads costs linear time (it was quadratic: 43 s of CPU for 2)', () => {
  let events = 0;
  const decoder = new SseDecoder({ onSseEvent: () => events++ });
  const { cpuMs, refusedAt } = feedLongLine(decoder, 50 << 20, 64 * 1024);
  assert.equal(refusedAt, -1, 'no cap: never refused');
  assert.equal(decoder.pendingBytes, 6 + (50 << 20));
  const end = Buffer.from('\n\n');
  decoder.write(end, 0, 2);
  assert.equal(events, 1);
  // Copying 50 MB about twice is ~50 ms; re-concatenating per read was ~20 s.
  assert.ok(cpuMs < 3000, `${cpuMs.toFixed(0)} ms of CPU`);
});

test('a line or an event past maxEventBytes is refused at the cap, and every kept byte goes back to the budget', () => {
  const budget = new BufferBudget(64 << 20);
  const events: string[] = [];
  const sink = { onSseEvent: (_e: string, b: Buffer, s: number, x: number) => events.push(b.toString('utf8', s, x)) };
  const decoder = new SseDecoder(sink, 1 << 20, budget);
  const { refusedAt } = feedLongLine(decoder, 50 << 20, 64 * 1024);
  assert.ok(refusedAt >= (1 << 20) - 64 * 1024 && refusedAt <= 1 << 20, `refused after ${refusedAt} bytes`);
  assert.equal(decoder.failure, SseFailure.EventTooLarge);
  assert.ok(budget.peak <= 2 << 20, `held at most ${budget.peak} bytes`);
  assert.equal(budget.held, 0, 'a refused stream keeps nothing');
  const more = Buffer.from('data: x\n\n');
  assert.equal(decoder.write(more, 0, more.length), false, 'stays refused');

  // In one write too, and as many data lines that join past the cap.
  const one = new SseDecoder(sink, 100, budget);
  const big = Buffer.from(`data: ${'y'.repeat(200)}\n\n`);
  assert.equal(one.write(big, 0, big.length), false);
  assert.equal(one.failure, SseFailure.EventTooLarge);
  const joined = new SseDecoder(sink, 100, budget);
  const lines = Buffer.from(`data: ${'z'.repeat(40)}\n`.repeat(3));
  assert.equal(joined.write(lines, 0, lines.length), false);
  assert.equal(budget.held, 0);

  // Under the cap, with pieces: decoded intact, and the budget is back to 0 after dispose().
  const ok = new SseDecoder(sink, 1000, budget);
  const text = Buffer.from(`data: ${'w'.repeat(300)}\ndata: ${'v'.repeat(300)}\n\ndata: tail`);
  for (let i = 0; i < text.length; i += 7) assert.ok(ok.write(text, i, Math.min(text.length, i + 7)));
  assert.deepEqual(events, [`${'w'.repeat(300)}\n${'v'.repeat(300)}`]);
  assert.ok(budget.held > 0, 'the partial "data: tail" line is held');
  ok.dispose();
  assert.equal(budget.held, 0);
});

test('a budget that runs out refuses the stream with BudgetExhausted', () => {
  const budget = new BufferBudget(4096);
  const decoder = new SseDecoder({ onSseEvent: () => {} }, 1 << 20, budget);
  const { refusedAt } = feedLongLine(decoder, 1 << 20, 1000);
  assert.ok(refusedAt > 0 && refusedAt <= 4096, `refused after ${refusedAt} bytes`);
  assert.equal(decoder.failure, SseFailure.BudgetExhausted);
  assert.equal(budget.held, 0);
});
