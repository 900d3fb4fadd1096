import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { parseEndpoint } from '../../src/api/endpoint.js';
import { buildBody, buildHeadPrefix, buildRequestTail, type RequestOptions } from '../../src/api/openai-request.js';

const CHAT: RequestOptions = { apiType: 'chat', model: 'llama', streaming: true, maxOutputTokens: 64 };

test('chat body: a user message from the prompt, stream options when streaming', () => {
  assert.deepEqual(buildBody({ prompt: 'héllo' }, CHAT), {
    model: 'llama',
    messages: [{ role: 'user', content: 'héllo' }],
    max_tokens: 64,
    stream: true,
    stream_options: { include_usage: true },
  });
});

test('chat body: the sample messages are used as given', () => {
  const messages = [
    { role: 'system' as const, content: 's' },
    { role: 'user' as const, content: 'u' },
  ];
  assert.deepEqual(buildBody({ prompt: 'ignored', messages }, CHAT).messages, messages);
});

test('completions body: prompt, no stream_options when not streaming', () => {
  assert.deepEqual(buildBody({ prompt: 'p' }, { apiType: 'completions', model: 'm', streaming: false }), {
    model: 'm',
    prompt: 'p',
    stream: false,
  });
});

test('max_tokens: the sample wins over the option; absent when neither sets it', () => {
  assert.equal(buildBody({ prompt: 'p', maxOutputTokens: 7 }, CHAT).max_tokens, 7);
  assert.equal(buildBody({ prompt: 'p' }, CHAT).max_tokens, 64);
  assert.ok(!('max_tokens' in buildBody({ prompt: 'p' }, { ...CHAT, maxOutputTokens: undefined })));
});

test('extra body fields are merged, but stream and stream_options follow the streaming setting', () => {
  const body = buildBody({ prompt: 'p' }, { ...CHAT, extraBody: { temperature: 0, stream: false, top_p: 0.9 } });
  assert.equal(body.temperature, 0);
  assert.equal(body.top_p, 0.9);
  assert.equal(body.stream, true);
  assert.deepEqual(body.stream_options, { include_usage: true });
});

test('tail: Content-Length counts UTF-8 bytes, then CRLFCRLF, then the body', () => {
  const tail = buildRequestTail({ prompt: 'héllo 世界 🚀' }, CHAT);
  const sep = tail.indexOf('\r\n\r\n');
  const length = Number(tail.toString('latin1', 0, sep));
  const body = tail.subarray(sep + 4);
  assert.equal(length, body.length);
  assert.equal(
    (JSON.parse(body.toString('utf8')) as { messages: { content: string }[] }).messages[0].content,
    'héllo 世界 🚀',
  );
});

test('head prefix: request line, Host, Accept and auth; API key wins over URL credentials', () => {
  const e = parseEndpoint('http://u:pw@[::1]:8000/v1?x=1', 'chat');
  const withKey = buildHeadPrefix(e, true, 'sk-test').toString('latin1');
  assert.ok(withKey.startsWith('POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: [::1]:8000\r\n'), withKey);
  assert.ok(withKey.includes('\r\nAccept: text/event-stream\r\n'));
  assert.ok(withKey.includes('\r\nAuthorization: Bearer sk-test\r\n'));
  assert.ok(!withKey.includes('Basic'));
  assert.ok(withKey.endsWith('\r\nContent-Length: '));
  const withBasic = buildHeadPrefix(e, false, undefined).toString('latin1');
  assert.ok(withBasic.includes(`\r\nAuthorization: Basic ${Buffer.from('u:pw').toString('base64')}\r\n`));
  assert.ok(withBasic.includes('\r\nAccept: application/json\r\n'));
  const none = buildHeadPrefix(parseEndpoint('http://h:1', 'chat'), true, '').toString('latin1');
  assert.ok(!none.includes('Authorization'));
});

test('head prefix + tail is a request node:http parses exactly (headers and body)', async () => {
  const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      seen.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(parts).toString('utf8'),
      });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const e = parseEndpoint(`http://127.0.0.1:${port}`, 'chat');
    const head = buildHeadPrefix(e, true, 'sk-x');
    const samples = [{ prompt: 'héllo 世界 🚀' }, { prompt: 'second' }];
    const socket = net.connect(port, '127.0.0.1');
    let responses = '';
    const twoResponses = new Promise<void>((resolve, reject) => {
      socket.on('data', (d: Buffer) => {
        responses += d.toString('latin1');
        if ((responses.match(/\r\n\r\nok/g) ?? []).length === 2) resolve();
      });
      socket.on('error', reject);
    });
    // two requests on one keep-alive connection, each written as the client does: head, then tail
    for (const s of samples) {
      socket.write(head);
      socket.write(buildRequestTail(s, CHAT));
    }
    await twoResponses;
    socket.destroy();
    assert.equal(seen.length, 2);
    for (let i = 0; i < 2; i++) {
      assert.equal(seen[i].method, 'POST');
      assert.equal(seen[i].url, '/v1/chat/completions');
      assert.equal(seen[i].headers.host, `127.0.0.1:${port}`);
      assert.equal(seen[i].headers['content-type'], 'application/json');
      assert.equal(seen[i].headers.authorization, 'Bearer sk-x');
      assert.deepEqual(JSON.parse(seen[i].body), buildBody(samples[i], CHAT));
    }
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
