/**
 * Fuzz: SseDecoder against eventsource-parser (the reference for the WHATWG event-stream format)
 * for generated streams split at random points, and against itself (JS and native scan paths)
 * under byte mutations. Fixed seed and small counts here; `npm run fuzz` runs them longer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createParser } from 'eventsource-parser';
import { SseDecoder } from '../../src/api/sse-decoder.js';
import { OpenAiResponseState, StreamEventKind } from '../../src/api/openai-response-decoder.js';
import { fuzzParameters, mutate, mutations, pieces, rawSplits, splitPoints } from './fuzz-settings.js';
import { envelope, spell, spelling, streamChunk, trickyText, usage } from './openai-chunks.js';
import { useNativeAddon } from '../../src/native/addon.js';

const nativeAvailable = useNativeAddon(true);

interface Ev {
  event: string;
  data: string;
}

/** Our decoder, JS path (a sink without onSseBatch), fed `bytes` in pieces framed by junk. */
function ours(bytes: Buffer, cuts: number[]): Ev[] {
  const events: Ev[] = [];
  const decoder = new SseDecoder({
    onSseEvent(event, buf, start, end) {
      assert.ok(start >= 0 && start <= end && end <= buf.length, `bad view ${start}..${end} of ${buf.length}`);
      events.push({ event, data: buf.toString('utf8', start, end) });
    },
  });
  for (const p of pieces(bytes, cuts)) {
    // Junk around the piece: the decoder must stay inside [start, end).
    const framed = Buffer.concat([Buffer.from('\n\ndata: junk\n\n'), p, Buffer.from('\n\n:junk\r\n')]);
    decoder.write(framed, 14, 14 + p.length);
    // The caller may reuse its read buffer: whatever the decoder keeps, it must have copied.
    framed.fill(0x0a);
  }
  decoder.end();
  return events;
}

function reference(bytes: Buffer): Ev[] {
  const events: Ev[] = [];
  const parser = createParser({ onEvent: (m) => events.push({ event: m.event ?? '', data: m.data }) });
  // TextDecoder drops a leading BOM, as the event-stream spec says a decoder must.
  parser.feed(new TextDecoder().decode(bytes));
  // A final CR ends its line (the spec), but an incremental parser cannot know that no LF follows:
  // an LF makes it the CRLF it holds the CR for, the same line ending.
  if (bytes[bytes.length - 1] === 13) parser.feed('\n');
  return events;
}

const noLineBreak = (s: string) => !/[\r\n]/.test(s);
const value = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
    {
      weight: 1,
      arbitrary: fc.string({
        unit: fc.constantFrom(' ', ':', 'a', '{', '"', 'é', '\0', '\u2028', '\uFEFF'),
        maxLength: 8,
      }),
    },
  )
  .filter(noLineBreak);
const fieldName = fc.oneof(
  fc.constantFrom('data', 'event', 'id', 'retry', 'Data', 'dat', 'datax', 'events', ' data', 'foo'),
  fc.string({ unit: 'grapheme-ascii', maxLength: 6 }).filter((s) => noLineBreak(s) && !s.includes(':')),
);

/** One non-blank line of an event stream. */
const line: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: value.map((v) => `data: ${v}`) },
  { weight: 2, arbitrary: value.map((v) => `data:${v}`) },
  { weight: 1, arbitrary: fc.constantFrom('data', 'data:', 'data: ', 'event', 'event:', 'id', 'retry') },
  { weight: 2, arbitrary: value.map((v) => `event: ${v}`) },
  { weight: 1, arbitrary: value.map((v) => `id: ${v}`) },
  { weight: 1, arbitrary: fc.oneof(fc.nat().map(String), value).map((v) => `retry: ${v}`) },
  { weight: 2, arbitrary: value.map((v) => `:${v}`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fieldName, fc.constantFrom(':', ': ', ''), value)
      .map(([f, sep, v]) => `${f}${sep}${sep === '' ? '' : v}`),
  },
);

type LineEnd = '\n' | '\r\n' | '\r';

/** A stream: events (lines then a blank line), then maybe an unterminated tail; each line ends as `ends` allow. */
function stream(ends: LineEnd[], bom: fc.Arbitrary<boolean>): fc.Arbitrary<Buffer> {
  const end = fc.constantFrom(...ends);
  const ended = fc.tuple(line, end).map(([l, e]) => l + e);
  const event = fc.tuple(fc.array(ended, { maxLength: 4 }), end).map(([ls, e]) => ls.join('') + e);
  return fc
    .tuple(bom, fc.array(event, { maxLength: 8 }), fc.array(ended, { maxLength: 2 }), fc.option(line, { nil: '' }))
    .map(([b, events, tail, last]) => Buffer.from((b ? '\uFEFF' : '') + events.join('') + tail.join('') + last));
}

function sameEvents(bytes: Buffer, raw: number[]): void {
  const expected = reference(bytes);
  const got = ours(bytes, splitPoints(bytes.length, raw));
  assert.deepEqual(got, expected, `stream ${JSON.stringify(bytes.toString('utf8'))}`);
}

test('SSE: same events as eventsource-parser, LF and CRLF line ends, any split', () => {
  fc.assert(fc.property(stream(['\n', '\r\n'], fc.constant(false)), rawSplits, sameEvents), fuzzParameters(400));
});

test('SSE: same events as eventsource-parser with bare CR line ends', () => {
  fc.assert(
    fc.property(stream(['\n', '\r\n', '\r'], fc.constant(false)), rawSplits, sameEvents),
    fuzzParameters(200, { shrink: false }),
  );
});

test('SSE: same events as eventsource-parser after a leading UTF-8 BOM, any split', () => {
  fc.assert(
    fc.property(stream(['\n', '\r\n'], fc.constant(true)), rawSplits, sameEvents),
    fuzzParameters(100, { shrink: false }),
  );
});

interface Outcome {
  tokens: number;
  finish: string;
  prompt: number;
  completion: number;
  done: boolean;
  kinds: number[];
}

/** The measurement as RequestExchange makes it: SseDecoder + OpenAiResponseState, native scan on or off. */
function measure(bytes: Buffer, cuts: number[], native: boolean): Outcome {
  useNativeAddon(native);
  try {
    const state = new OpenAiResponseState(false);
    const out: Outcome = { tokens: 0, finish: '', prompt: -1, completion: -1, done: false, kinds: [] };
    const decoder = new SseDecoder({
      onSseEvent(event, buf, start, end) {
        const k = state.applyStreamEventBytes(event, buf, start, end);
        if (k === StreamEventKind.Done) out.done = true;
        else if (k !== StreamEventKind.Token && k !== StreamEventKind.Empty) out.kinds.push(k);
      },
      onSseBatch(buf, o) {
        if (o[2] !== 0) out.done = true;
        state.applyStreamBatch(buf, o);
      },
    });
    for (const p of pieces(bytes, cuts)) decoder.write(p, 0, p.length);
    decoder.end();
    out.tokens = state.tokenEvents;
    out.finish = state.finishReason;
    out.prompt = state.promptTokens;
    out.completion = state.completionTokens;
    return out;
  } finally {
    useNativeAddon(true);
  }
}

/** The oracle: eventsource-parser's events, each interpreted by JSON.parse (applyStreamEvent). */
function measureByReference(bytes: Buffer): Outcome {
  const state = new OpenAiResponseState(false);
  const out: Outcome = { tokens: 0, finish: '', prompt: -1, completion: -1, done: false, kinds: [] };
  for (const e of reference(bytes)) {
    const k = state.applyStreamEvent(e.event, e.data);
    if (k === StreamEventKind.Done) out.done = true;
    else if (k !== StreamEventKind.Token && k !== StreamEventKind.Empty) out.kinds.push(k);
  }
  out.tokens = state.tokenEvents;
  out.finish = state.finishReason;
  out.prompt = state.promptTokens;
  out.completion = state.completionTokens;
  return out;
}

/** An OpenAI stream: chunks (one data line per line of their JSON), comments, named events, ids, [DONE]. */
const openAiStream = fc
  .tuple(
    fc.array(
      fc.oneof(
        { weight: 8, arbitrary: fc.tuple(streamChunk, spelling).map(([c, how]) => ({ json: spell(c, how) })) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(': keep-alive', 'id: 7', 'retry: 100', 'event: message', 'event: error'),
        },
      ),
      { maxLength: 10 },
    ),
    fc.boolean(),
    fc.constantFrom('\n', '\r\n'),
  )
  .map(([items, done, eol]) => {
    let text = '';
    for (const it of items) {
      if (typeof it === 'string') text += it + eol;
      else
        text +=
          it.json
            .split('\n')
            .map((l) => `data: ${l}${eol}`)
            .join('') + eol;
    }
    if (done) text += `data: [DONE]${eol}${eol}`;
    return Buffer.from(text);
  });

test('SSE + OpenAI: JS path, native path and eventsource-parser + JSON.parse measure the same, any split', () => {
  fc.assert(
    fc.property(openAiStream, rawSplits, (bytes, raw) => {
      const cuts = splitPoints(bytes.length, raw);
      const expected = measureByReference(bytes);
      assert.deepEqual(measure(bytes, cuts, false), expected, 'JS path');
      if (nativeAvailable) assert.deepEqual(measure(bytes, cuts, true), expected, 'native path');
    }),
    fuzzParameters(300),
  );
});

/**
 * Per-case CPU bound (CPU, not wall time: the box is shared, and a 217-byte case once took 456 ms
 * of wall time). A hang inside the synchronous parser never returns: the test timeout catches it.
 */
const CASE_CPU_BUDGET_MS = 1000;

test('SSE: byte mutations never throw or hang, and the JS and native paths agree', () => {
  fc.assert(
    fc.property(openAiStream, mutations, rawSplits, (clean, muts, raw) => {
      const bytes = mutate(clean, muts);
      const cuts = splitPoints(bytes.length, raw);
      const cpu0 = process.cpuUsage();
      const js = measure(bytes, cuts, false);
      const whole = measure(bytes, [], false);
      assert.deepEqual(js, whole, 'JS path: split vs whole');
      if (nativeAvailable) assert.deepEqual(measure(bytes, cuts, true), js, 'native vs JS path');
      // The event layer alone, too (no OpenAI sink).
      ours(bytes, cuts);
      const cpu = process.cpuUsage(cpu0);
      const ms = (cpu.user + cpu.system) / 1000;
      assert.ok(ms < CASE_CPU_BUDGET_MS, `${bytes.length} bytes took ${ms.toFixed(1)} ms of CPU`);
    }),
    fuzzParameters(300),
  );
});

/** A mutated stream start: a partial BOM is dropped byte by byte, where the reference decodes it as U+FFFD. */
function hasKnownDifference(bytes: Buffer): boolean {
  return bytes[0] === 0xef;
}

test('SSE: mutated streams (invalid UTF-8, stray bytes) give the same events as eventsource-parser', () => {
  let compared = 0;
  fc.assert(
    fc.property(stream(['\n', '\r\n', '\r'], fc.constant(false)), mutations, rawSplits, (clean, muts, raw) => {
      const bytes = mutate(clean, muts);
      if (hasKnownDifference(bytes)) return;
      compared++;
      sameEvents(bytes, raw);
    }),
    fuzzParameters(400),
  );
  assert.ok(compared > 100, `only ${compared} mutated streams compared`);
});

/**
 * A stream as servers send it: one envelope, one delta field per chunk with tricky text, then a
 * finish chunk, maybe usage and [DONE] — what the native scanner's template path (a chunk matched
 * byte for byte against the previous one but for its delta text) is built for.
 */
const deltaKey = fc.constantFrom('content', 'content', 'content', 'reasoning_content', 'reasoning');
const templateParts = fc.record({
  env: envelope,
  how: fc.constantFrom('compact', 'python'),
  deltas: fc.array(fc.tuple(deltaKey, trickyText), { minLength: 1, maxLength: 12 }),
  finish: fc.constantFrom('stop', 'length'),
  usage: fc.option(usage, { nil: undefined }),
  done: fc.boolean(),
});

function templateText(
  p: { env: object; how: string; deltas: [string, string][]; finish: string; usage?: object; done: boolean },
  raw?: (text: string) => string,
): Buffer {
  const chunk = (delta: object, finish: string | null) =>
    spell({ ...p.env, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] }, p.how);
  let text = '';
  for (const [key, value] of p.deltas) {
    let json = chunk({ [key]: value }, null);
    if (raw !== undefined) json = json.replace(JSON.stringify(value), `"${raw(value)}"`);
    text += `data: ${json}\n\n`;
  }
  text += `data: ${chunk({}, p.finish)}\n\n`;
  if (p.usage !== undefined) text += `data: ${spell({ ...p.env, choices: [], usage: p.usage }, p.how)}\n\n`;
  if (p.done) text += 'data: [DONE]\n\n';
  return Buffer.from(text);
}

test('SSE + OpenAI: streams of one envelope (the native template path) measure the same three ways', () => {
  fc.assert(
    fc.property(templateParts, rawSplits, (p, raw) => {
      const bytes = templateText(p);
      const cuts = splitPoints(bytes.length, raw);
      const expected = measureByReference(bytes);
      assert.deepEqual(measure(bytes, cuts, false), expected, 'JS path');
      if (nativeAvailable) assert.deepEqual(measure(bytes, cuts, true), expected, 'native path');
    }),
    fuzzParameters(300),
  );
});

test(
  'SSE + OpenAI: unescaped text in a delta (invalid JSON) — the native path still agrees with the JS one',
  { skip: !nativeAvailable && 'native addon not built' },
  () => {
    // Raw quotes, backslashes and line breaks where a server forgot to escape: JSON.parse rejects
    // these, the byte scanners are loose on purpose, but the two scanners must be equally loose.
    const rawText = fc.string({
      unit: fc.constantFrom('"', '\\', ':', ',', '}', ']', '{', 'a', ' ', '\n', '\r', 'é'),
      maxLength: 8,
    });
    fc.assert(
      fc.property(templateParts, fc.array(rawText, { minLength: 1, maxLength: 12 }), rawSplits, (p, raws, raw) => {
        let k = 0;
        const bytes = templateText(p, () => raws[k++ % raws.length]);
        const cuts = splitPoints(bytes.length, raw);
        assert.deepEqual(measure(bytes, cuts, true), measure(bytes, cuts, false));
      }),
      fuzzParameters(500),
    );
  },
);
