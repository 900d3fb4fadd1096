import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { serveCommand } from '../../src/cli/serve-command.js';
import { BadInputError } from '../../src/errors.js';
import {
  startMockServer,
  type MockServerOptions,
  type RunningMockServer,
} from '../../src/servers/mock-openai-server.js';

/** Upper bound on stream reads in any test: every loop here ends. */
const MAX_READS = 10_000;

interface ChatChunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: string; content?: string };
    finish_reason: string | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

interface TextChunk {
  object: string;
  choices: { index: number; text: string; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function withServer(
  options: MockServerOptions,
  body: (server: RunningMockServer) => Promise<void>,
): Promise<void> {
  const server = await startMockServer({ host: '127.0.0.1', port: 0, ...options });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

function post(server: RunningMockServer, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

/** Splits an SSE body into its `data:` payloads (the raw text after `data: `). */
function ssePayloads(text: string): string[] {
  const events = text.split('\n\n');
  assert.equal(events.pop(), '', 'the stream must end with a complete event');
  return events.map((event) => {
    assert.ok(event.startsWith('data: '), `not a data event: ${JSON.stringify(event)}`);
    return event.slice('data: '.length);
  });
}

/** Parses every payload but the final [DONE]. */
function jsonEvents<T>(payloads: string[]): T[] {
  assert.equal(payloads.at(-1), '[DONE]');
  return payloads.slice(0, -1).map((p) => JSON.parse(p) as T);
}

/** Reads a body chunk by chunk; onChunk gets the text and its arrival (performance.now()). */
async function readChunks(res: Response, onChunk: (text: string, atMs: number) => boolean | void): Promise<void> {
  assert.ok(res.body);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  for (let i = 0; i < MAX_READS; i++) {
    const { done, value } = await reader.read();
    if (done) return;
    if (onChunk(decoder.decode(value, { stream: true }), performance.now()) === false) {
      await reader.cancel();
      return;
    }
  }
  assert.fail('stream did not end');
}

const words = (n: number): string => Array.from({ length: n }, (_, i) => `tok${i} `).join('');

test('streaming chat: role chunk, N content chunks, finish chunk, [DONE]; no usage', async () => {
  await withServer({ outputTokens: 4 }, async (server) => {
    const res = await post(server, '/v1/chat/completions', {
      model: 'my-model',
      stream: true,
      messages: [{ role: 'user', content: 'hello there' }],
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(res.headers.get('content-length'), null);
    const events = jsonEvents<ChatChunk>(ssePayloads(await res.text()));
    assert.equal(events.length, 1 + 4 + 1);
    for (const e of events) {
      assert.equal(e.object, 'chat.completion.chunk');
      assert.equal(e.model, 'my-model');
      assert.equal(e.id, events[0]?.id);
      assert.ok(Number.isInteger(e.created));
      assert.equal(e.usage, undefined);
    }
    assert.deepEqual(events[0]?.choices, [
      { index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null },
    ]);
    const content = events.slice(1, 5).map((e) => {
      assert.equal(e.choices[0]?.finish_reason, null);
      return e.choices[0]?.delta.content;
    });
    assert.deepEqual(content, ['tok0 ', 'tok1 ', 'tok2 ', 'tok3 ']);
    assert.deepEqual(events[5]?.choices, [{ index: 0, delta: {}, finish_reason: 'stop' }]);
  });
});

test('streaming chat, include_usage and max_tokens: N capped, "length", usage', async () => {
  await withServer({ outputTokens: 16 }, async (server) => {
    const res = await post(server, '/v1/chat/completions', {
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 3,
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hello  big\nworld' },
            { type: 'image_url', image_url: { url: 'data:,' } },
          ],
        },
      ],
    });
    const events = jsonEvents<ChatChunk>(ssePayloads(await res.text()));
    assert.equal(events.length, 1 + 3 + 1 + 1);
    assert.deepEqual(
      events.slice(1, 4).map((e) => e.choices[0]?.delta.content),
      ['tok0 ', 'tok1 ', 'tok2 '],
    );
    assert.equal(events[4]?.choices[0]?.finish_reason, 'length');
    const last = events[5];
    assert.deepEqual(last?.choices, []);
    assert.deepEqual(last?.usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });
});

test('streaming completions: one text chunk per token, then finish and usage', async () => {
  await withServer({ outputTokens: 3 }, async (server) => {
    const res = await post(server, '/v1/completions', {
      model: 'm',
      prompt: 'one two three four',
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = jsonEvents<TextChunk>(ssePayloads(await res.text()));
    assert.equal(events.length, 3 + 1 + 1);
    for (const e of events) assert.equal(e.object, 'text_completion');
    assert.deepEqual(
      events.slice(0, 3).map((e) => [e.choices[0]?.text, e.choices[0]?.finish_reason]),
      [
        ['tok0 ', null],
        ['tok1 ', null],
        ['tok2 ', null],
      ],
    );
    assert.deepEqual(events[3]?.choices, [{ index: 0, text: '', finish_reason: 'stop' }]);
    assert.deepEqual(events[4]?.choices, []);
    assert.deepEqual(events[4]?.usage, { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
  });
});

test('non-streaming chat and completions return the whole text with usage', async () => {
  await withServer({ outputTokens: 5 }, async (server) => {
    const chat = await post(server, '/v1/chat/completions', {
      model: 'any-name',
      messages: [{ role: 'user', content: 'a b c' }],
    });
    assert.equal(chat.status, 200);
    assert.match(chat.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(Number(chat.headers.get('content-length')) > 0);
    const chatBody = (await chat.json()) as {
      object: string;
      model: string;
      choices: {
        index: number;
        message: { role: string; content: string };
        finish_reason: string;
      }[];
      usage: unknown;
    };
    assert.equal(chatBody.object, 'chat.completion');
    assert.equal(chatBody.model, 'any-name');
    assert.deepEqual(chatBody.choices, [
      { index: 0, message: { role: 'assistant', content: words(5) }, finish_reason: 'stop' },
    ]);
    assert.deepEqual(chatBody.usage, { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });

    const completion = await post(server, '/v1/completions', {
      model: 'm',
      prompt: ['x y', 'z'],
      max_tokens: 2,
    });
    const body = (await completion.json()) as TextChunk & { usage: unknown };
    assert.equal(body.object, 'text_completion');
    assert.deepEqual(body.choices, [{ index: 0, text: words(2), finish_reason: 'length' }]);
    assert.deepEqual(body.usage, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
  });
});

test('max_completion_tokens caps N; max_tokens 0 still yields one token', async () => {
  await withServer({ outputTokens: 10 }, async (server) => {
    const capped = await post(server, '/v1/chat/completions', {
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 7,
    });
    const cappedBody = (await capped.json()) as {
      choices: { message: { content: string }; finish_reason: string }[];
    };
    assert.equal(cappedBody.choices[0]?.message.content, words(7));
    assert.equal(cappedBody.choices[0]?.finish_reason, 'length');

    const zero = await post(server, '/v1/completions', { prompt: 'hi', max_tokens: 0 });
    const zeroBody = (await zero.json()) as { usage: { completion_tokens: number } };
    assert.equal(zeroBody.usage.completion_tokens, 1);
  });
});

test('bad requests get 400/404/405 with the OpenAI error shape', async () => {
  await withServer({}, async (server) => {
    const cases: { res: Response; status: number; param: string | null }[] = [
      { res: await post(server, '/v1/chat/completions', '{not json'), status: 400, param: null },
      {
        res: await post(server, '/v1/chat/completions', { model: 'm' }),
        status: 400,
        param: 'messages',
      },
      { res: await post(server, '/v1/completions', { model: 'm' }), status: 400, param: 'prompt' },
      {
        res: await post(server, '/v1/completions', { prompt: 'x', max_tokens: -1 }),
        status: 400,
        param: 'max_tokens',
      },
      { res: await post(server, '/v1/completions', '[1, 2]'), status: 400, param: null },
      { res: await post(server, '/v2/nothing', {}), status: 404, param: null },
      { res: await fetch(`${server.url}/v1/chat/completions`), status: 405, param: null },
    ];
    for (const { res, status, param } of cases) {
      assert.equal(res.status, status);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const body = (await res.json()) as ErrorBody;
      assert.equal(typeof body.error.message, 'string');
      assert.ok(body.error.message.length > 0);
      assert.equal(body.error.type, 'invalid_request_error');
      assert.equal(body.error.param, param);
      assert.equal(body.error.code, null);
    }
  });
});

test('GET /v1/models lists the mock model', async () => {
  await withServer({}, async (server) => {
    const res = await fetch(`${server.url}/v1/models`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      object: 'list',
      data: [{ id: 'mock-model', object: 'model', created: 0, owned_by: 'llm-loadgen' }],
    });
  });
});

test('fault status-500 hits every faultEvery-th completion request', async () => {
  await withServer({ fault: 'status-500', faultEvery: 2 }, async (server) => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await post(server, '/v1/completions', { prompt: 'hi', max_tokens: 2 });
      statuses.push(res.status);
      const body = (await res.json()) as Partial<ErrorBody>;
      if (res.status === 500) {
        assert.equal(body.error?.message, 'mock fault: internal error');
        assert.equal(body.error?.type, 'server_error');
      }
    }
    assert.deepEqual(statuses, [200, 500, 200, 500]);
    assert.deepEqual(server.stats(), { requests: 4, completionRequests: 4, faultsInjected: 2 });
  });
});

test('fault reset: a stream is cut after ~half the tokens; a plain request gets none', async () => {
  await withServer({ fault: 'reset', outputTokens: 10, itlMs: 2 }, async (server) => {
    const res = await post(server, '/v1/chat/completions', {
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(res.status, 200);
    let text = '';
    await assert.rejects(readChunks(res, (chunk) => void (text += chunk)));
    const tokens = text.match(/"content":"tok\d+ "/g) ?? [];
    const seen = tokens.length;
    assert.ok(seen >= 1 && seen <= 5, `got ${seen} tokens before the reset`);
    assert.ok(!text.includes('[DONE]'));

    await assert.rejects(post(server, '/v1/completions', { prompt: 'hi' }));
  });
});

test('fault malformed-sse: a broken event after the first token, then the rest', async () => {
  await withServer({ fault: 'malformed-sse', outputTokens: 3 }, async (server) => {
    const res = await post(server, '/v1/completions', { prompt: 'hi', stream: true });
    const payloads = ssePayloads(await res.text());
    assert.equal(payloads[1], '{not json');
    assert.equal(payloads.at(-1), '[DONE]');
    const valid = payloads.filter((_, i) => i !== 1);
    const events = jsonEvents<TextChunk>(valid);
    assert.deepEqual(
      events.map((e) => e.choices[0]?.text),
      ['tok0 ', 'tok1 ', 'tok2 ', ''],
    );

    const plain = await post(server, '/v1/completions', { prompt: 'hi' });
    assert.equal(plain.status, 200);
    assert.match(plain.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(await plain.text(), '{not json');
  });
});

test('fault not-openai: HTML on every path', async () => {
  await withServer({ fault: 'not-openai' }, async (server) => {
    const responses = [
      await fetch(`${server.url}/v1/models`),
      await fetch(`${server.url}/anything`),
      await fetch(`${server.url}/v1/chat/completions`),
      await post(server, '/v1/chat/completions', { messages: [], stream: true }),
    ];
    for (const res of responses) {
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(await res.text(), '<html>hello</html>');
    }
  });
});

test('timing: first token after ttftMs, token k after ttft + k * itl, never early', async () => {
  const ttftMs = 50;
  const itlMs = 20;
  await withServer({ ttftMs, itlMs }, async (server) => {
    // Warm up fetch's POST path and the connection so only the mock's delays are measured.
    await (await post(server, '/v1/completions', { prompt: 'hi', max_tokens: 1 })).arrayBuffer();
    const sentAt = performance.now();
    const body = { prompt: 'hi', max_tokens: 5, stream: true };
    const res = await post(server, '/v1/completions', body);
    const arrivals: number[] = [];
    await readChunks(res, (chunk, atMs) => {
      for (const _ of chunk.match(/"text":"tok\d+ "/g) ?? []) arrivals.push(atMs - sentAt);
    });
    assert.equal(arrivals.length, 5);
    const first = arrivals[0] ?? 0;
    assert.ok(first >= ttftMs, `first token after ${first.toFixed(1)} ms, before ttft`);
    assert.ok(first < ttftMs + 40, `first token after ${first.toFixed(1)} ms, too late`);
    arrivals.forEach((at, k) => {
      const due = ttftMs + k * itlMs;
      assert.ok(at >= due, `token ${k} after ${at.toFixed(1)} ms, before its deadline`);
    });
    const last = arrivals[4] ?? 0;
    assert.ok(last < ttftMs + 4 * itlMs + 60, `last token after ${last.toFixed(1)} ms, too late`);

    // Non-streaming answers when the whole generation would have finished.
    const plainSentAt = performance.now();
    await (await post(server, '/v1/completions', { prompt: 'hi', max_tokens: 5 })).json();
    const plain = performance.now() - plainSentAt;
    assert.ok(plain >= ttftMs + 4 * itlMs, `non-streaming answer after ${plain.toFixed(1)} ms`);
  });
});

test('a client abort mid-stream does not hurt the server', async () => {
  await withServer({ itlMs: 5, outputTokens: 200 }, async (server) => {
    const controller = new AbortController();
    const res = await post(
      server,
      '/v1/chat/completions',
      { stream: true, messages: [{ role: 'user', content: 'hi' }] },
      controller.signal,
    );
    let chunks = 0;
    await assert.rejects(
      readChunks(res, () => {
        chunks++;
        if (chunks === 2) controller.abort();
      }),
    );
    assert.equal(chunks, 2);
    // Give the server time to notice the closed socket and (wrongly) write again if it would.
    await new Promise((resolve) => setTimeout(resolve, 30));

    const next = await post(server, '/v1/chat/completions', {
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 2,
    });
    assert.equal(next.status, 200);
    const body = (await next.json()) as { choices: { message: { content: string } }[] };
    assert.equal(body.choices[0]?.message.content, words(2));
  });
});

test('close() is prompt with an idle keep-alive connection and a stream in flight', async () => {
  const server = await startMockServer({ itlMs: 1000, outputTokens: 100 });
  const agent = new http.Agent({ keepAlive: true });
  try {
    // An idle keep-alive connection, parked in the agent.
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${server.url}/v1/models`, { agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
    // A stream that would run for 100 s.
    const res = await post(server, '/v1/completions', { prompt: 'hi', stream: true });
    assert.ok(res.body);
    const reader = res.body.getReader();
    await reader.read();
    const pending = reader.read();
    pending.catch(() => {});

    const started = performance.now();
    await server.close();
    const took = performance.now() - started;
    assert.ok(took < 500, `close() took ${took.toFixed(0)} ms`);
    await assert.rejects(pending);
    await server.close(); // idempotent
  } finally {
    agent.destroy();
    await server.close();
  }
});

test('startMockServer rejects bad options and a port in use', async () => {
  await assert.rejects(startMockServer({ ttftMs: -1 }), RangeError);
  await assert.rejects(startMockServer({ outputTokens: 0 }), RangeError);
  await assert.rejects(startMockServer({ faultEvery: 0 }), RangeError);
  await withServer({}, async (server) => {
    await assert.rejects(startMockServer({ port: server.port }), { code: 'EADDRINUSE' });
  });
});

test('serve command: bad flags and a port in use are BadInputErrors naming the flag', async () => {
  const run = (args: string[]): Promise<unknown> => serveCommand().parseAsync(args, { from: 'user' });
  await assert.rejects(run(['--port', 'abc']), (err: unknown) => {
    assert.ok(err instanceof BadInputError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /--port/);
    return true;
  });
  await assert.rejects(run(['--itl-ms', '-3']), /--itl-ms/);
  await assert.rejects(run(['--fault', 'explode']), /--fault/);
  await assert.rejects(run(['--output-tokens', '0']), /--output-tokens/);
  await withServer({}, async (server) => {
    await assert.rejects(run(['--port', String(server.port)]), (err: unknown) => {
      assert.ok(err instanceof BadInputError);
      assert.equal(err.code, 'port_in_use');
      assert.match(err.message, /--port/);
      return true;
    });
  });
});
