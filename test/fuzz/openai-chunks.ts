/**
 * Test helper: fast-check arbitraries for OpenAI-compatible response JSON — stream chunks (chat
 * and completions, usage, errors) and whole non-streaming bodies — in the spellings servers use.
 */
import fc from 'fast-check';

/** Text that stresses a byte scanner: quotes, escapes, key look-alikes, multi-byte characters. */
export const trickyText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      '"',
      '\\',
      '\\"',
      '"content":"x"',
      '"},"logprobs":null,"finish_reason":"stop"}]}',
      '"usage":{"prompt_tokens":7}',
      '"error":"x"',
      '[DONE]',
      'data: x\n\n',
      '\r\n',
      'é世🚀',
      '\u2028',
      '\0',
    ),
  },
);

const finishReason = fc.oneof(fc.constant(null), fc.constantFrom('stop', 'length', 'tool_calls', 'content_filter'));

const toolCall = fc.record(
  {
    index: fc.nat(3),
    id: fc.string({ maxLength: 6 }),
    type: fc.constant('function'),
    function: fc.record({ name: trickyText, arguments: trickyText }, { requiredKeys: [] }),
  },
  { requiredKeys: ['index'] },
);

const delta = fc.record(
  {
    role: fc.constant('assistant'),
    content: fc.oneof(trickyText, fc.constant(null)),
    reasoning_content: fc.oneof(trickyText, fc.constant(null)),
    reasoning: fc.oneof(trickyText, fc.constant(null)),
    tool_calls: fc.oneof(fc.constant([]), fc.constant(null), fc.array(toolCall, { minLength: 1, maxLength: 2 })),
    function_call: fc.oneof(fc.constant(null), fc.record({ name: trickyText, arguments: trickyText })),
  },
  { requiredKeys: [] },
);

export const chatChoice = fc.record(
  {
    index: fc.nat(2),
    delta: fc.oneof({ weight: 9, arbitrary: delta }, fc.constant(null)),
    logprobs: fc.constant(null),
    finish_reason: finishReason,
  },
  { requiredKeys: ['delta'] },
);

export const completionChoice = fc.record(
  {
    index: fc.nat(2),
    text: fc.oneof(trickyText, fc.constant(null)),
    logprobs: fc.constant(null),
    finish_reason: finishReason,
  },
  { requiredKeys: [] },
);

export const usage = fc.record(
  {
    prompt_tokens: fc.nat(1_000_000),
    completion_tokens: fc.nat(1_000_000),
    total_tokens: fc.nat(2_000_000),
    prompt_tokens_details: fc.record({ cached_tokens: fc.nat(1000) }),
  },
  { requiredKeys: [] },
);

/** Envelope fields a server adds around `choices`; extras have random names and JSON values. */
export const envelope = fc.record(
  {
    id: trickyText,
    object: fc.constantFrom('chat.completion.chunk', 'text_completion'),
    created: fc.nat(),
    model: trickyText,
    system_fingerprint: fc.oneof(fc.constant(null), trickyText),
  },
  { requiredKeys: [] },
);

/** Keys the scanner reads wherever they are (see openai-chunk-scanner.ts). */
const KNOWN_KEYS = new Set([
  'choices',
  'content',
  'text',
  'reasoning',
  'reasoning_content',
  'tool_calls',
  'function_call',
  'finish_reason',
  'usage',
  'prompt_tokens',
  'completion_tokens',
  'error',
  '__proto__',
]);

const extras = fc.dictionary(
  fc.string({ maxLength: 8 }).filter((k) => !KNOWN_KEYS.has(k)),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 2 },
);

/** Reorders an object's own keys by `order` (servers do not agree on key order). */
function reorder(obj: Record<string, unknown>, order: number[]): Record<string, unknown> {
  const entries = Object.entries(obj).map((e, i) => [e, order[i % Math.max(1, order.length)] ?? i] as const);
  entries.sort((a, b) => a[1] - b[1]);
  return Object.fromEntries(entries.map(([e]) => e));
}

/** One streamed chunk, as a JSON value, with up to `maxChoices` choices (servers send 1). */
export function streamChunkOf(maxChoices: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(
          envelope,
          extras,
          fc.oneof(
            fc.array(chatChoice, { maxLength: maxChoices }),
            fc.array(completionChoice, { maxLength: maxChoices }),
          ),
          fc.option(fc.oneof(usage, fc.constant(null)), { nil: undefined }),
          fc.array(fc.nat(), { maxLength: 8 }),
        )
        .map(([env, extra, choices, u, order]) =>
          reorder({ ...env, ...extra, choices, ...(u === undefined ? {} : { usage: u }) }, order),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.record({ error: fc.record({ message: trickyText, type: fc.constant('server_error') }) }),
    },
    { weight: 1, arbitrary: fc.record({ error: fc.constant(null), choices: fc.array(chatChoice, { maxLength: 1 }) }) },
  );
}

export const streamChunk = streamChunkOf(1);

/** One whole non-streaming body, as a JSON value, with up to `maxChoices` choices. */
export function jsonBodyOf(maxChoices: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(
          envelope,
          extras,
          fc.oneof(
            fc.array(
              fc.record(
                {
                  index: fc.nat(2),
                  message: fc.record(
                    { role: fc.constant('assistant'), content: fc.oneof(trickyText, fc.constant(null)) },
                    { requiredKeys: [] },
                  ),
                  finish_reason: finishReason,
                },
                { requiredKeys: [] },
              ),
              { maxLength: maxChoices },
            ),
            fc.array(completionChoice, { maxLength: maxChoices }),
          ),
          fc.option(fc.oneof(usage, fc.constant(null)), { nil: undefined }),
          fc.array(fc.nat(), { maxLength: 8 }),
        )
        .map(([env, extra, choices, u, order]) =>
          reorder({ ...env, ...extra, choices, ...(u === undefined ? {} : { usage: u }) }, order),
        ),
    },
    { weight: 1, arbitrary: fc.record({ error: fc.record({ message: trickyText }) }) },
    { weight: 1, arbitrary: envelope },
  );
}

export const jsonBody = jsonBodyOf(1);

/** The spellings servers use for the same JSON: compact, Python's ", "/": ", indented, padded. */
export const spelling = fc.constantFrom('compact', 'python', 'indented', 'padded');

export function spell(value: unknown, how: string): string {
  const compact = JSON.stringify(value);
  switch (how) {
    case 'python':
      return compact.replace(/("(?:[^"\\]|\\.)*")|([,:])/g, (_m, str: string | undefined, sep: string | undefined) =>
        str !== undefined ? str : sep + ' ',
      );
    case 'indented':
      return JSON.stringify(value, null, 2);
    case 'padded':
      return ` ${compact}\t`;
    default:
      return compact;
  }
}
