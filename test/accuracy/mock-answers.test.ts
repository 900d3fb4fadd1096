/**
 * The mock's answer mode against the scorers, over real HTTP: for each answer style, the score a
 * scorer gives the mock's answers equals the fraction the mock was set to, exactly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scoreAnswers, type AccuracyAnswer } from '../../src/accuracy/accuracy-result.js';
import { extractorByName } from '../../src/accuracy/extractors.js';
import { scorerByName } from '../../src/accuracy/scorers.js';
import { MockAnswerKey, type AnswerStyle } from '../../src/servers/mock-answers.js';
import { startMockServer, type RunningMockServer } from '../../src/servers/mock-openai-server.js';

const ROWS = 40;
const FRACTION = 0.7;

interface Case {
  style: AnswerStyle;
  truth: (i: number) => string;
  scorer: string;
  extractor: string;
}
const CASES: Case[] = [
  { style: 'abcd', truth: (i) => `choice${(i % 4) + 1}`, scorer: 'pass_at_1', extractor: 'abcd_extractor' },
  { style: 'math', truth: (i) => String(100 + i), scorer: 'pass_at_1', extractor: 'boxed_math_extractor' },
  { style: 'math', truth: (i) => String(i * 7), scorer: 'math_equivalence', extractor: 'math_extractor' },
  { style: 'plain', truth: (i) => `answer number ${i}`, scorer: 'string_match', extractor: 'identity_extractor' },
];

async function ask(url: string, prompt: string, stream: boolean): Promise<{ text: string; finish: string | null }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', stream, messages: [{ role: 'user', content: prompt }] }),
  });
  assert.equal(res.status, 200);
  if (!stream) {
    const body = (await res.json()) as { choices: { message: { content: string }; finish_reason: string }[] };
    return { text: body.choices[0].message.content, finish: body.choices[0].finish_reason };
  }
  let text = '';
  let finish: string | null = null;
  for (const line of (await res.text()).split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const event = JSON.parse(line.slice(6)) as {
      choices: { delta: { content?: string }; finish_reason: string | null }[];
    };
    text += event.choices[0]?.delta.content ?? '';
    finish = event.choices[0]?.finish_reason ?? finish;
  }
  return { text, finish };
}

describe('mock answer mode scores as set', () => {
  for (const c of CASES) {
    for (const stream of [false, true]) {
      let server: RunningMockServer;
      const rows = Array.from({ length: ROWS }, (_, i) => ({
        prompt: `Question ${i}: what is it?`,
        truth: c.truth(i),
      }));
      const key = new MockAnswerKey({ rows, rightFraction: FRACTION, seed: 7, style: c.style });
      before(async () => {
        server = await startMockServer({ answers: key });
      });
      after(() => server.close());
      test(`${c.style} / ${c.scorer} / ${c.extractor} / ${stream ? 'streamed' : 'whole'}`, async () => {
        const answers: AccuracyAnswer[] = [];
        for (let i = 0; i < ROWS; i++) {
          // A prompt template around the row's text still finds the row.
          const { text, finish } = await ask(server.url, `Think first.\n${rows[i].prompt}\nAnswer briefly.`, stream);
          answers.push({ sample: i, repeat: 0, text, finishReason: finish });
        }
        const { result } = scoreAnswers(
          {
            datasetName: 'd',
            groundTruthColumn: 'ground_truth',
            scorer: scorerByName(c.scorer),
            extractor: extractorByName(c.extractor),
            truths: rows.map((r) => r.truth),
            repeats: 1,
            durationS: 0,
          },
          answers,
        );
        assert.equal(result.score, Math.round(FRACTION * ROWS) / ROWS);
        const malformed = key.verdicts.filter((v) => v === 'malformed').length;
        // plain answers "???" are found by the identity extractor; the others are misses
        assert.equal(result.extractor_misses, c.style === 'plain' ? 0 : malformed);
      });
    }
  }
  test('an unknown prompt gets the usual tokN words', async () => {
    const key = new MockAnswerKey({
      rows: [{ prompt: 'known', truth: 'A' }],
      rightFraction: 1,
      seed: 1,
      style: 'abcd',
    });
    const server = await startMockServer({ answers: key });
    try {
      assert.match((await ask(server.url, 'something else', false)).text, /^tok0 /);
    } finally {
      await server.close();
    }
  });
});
