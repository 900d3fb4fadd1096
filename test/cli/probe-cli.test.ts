/** `llm-loadgen probe` end to end: the real CLI as a child process against real servers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMockServer } from '../../src/servers/mock-openai-server.js';
import { closedPort, describeResult, runCli, startRecordingServer } from './cli-process.js';

test(
  'probe against the mock: exit 0, every request succeeded, a preview of the answer',
  { timeout: 60_000 },
  async () => {
    const mock = await startMockServer({ ttftMs: 5, itlMs: 1, outputTokens: 4 });
    try {
      const r = await runCli(['probe', '--endpoints', mock.url, '--model', 'm', '--max-output-tokens', '4']);
      assert.equal(r.code, 0, describeResult(r));
      assert.match(r.stdout, /3 of 3 requests succeeded/);
      assert.match(r.stdout, /response preview: "tok0 tok1 tok2 tok3 ?"/);
      assert.match(r.stdout, /models served: mock-model/);
      assert.match(r.stdout, /note: --model m is not among them/);
      assert.match(r.stdout, /4 output tokens \(usage\), finish length/);
      assert.match(r.stdout, /request 1: ok, HTTP 200, ttft [\d.]+ ms/);
      assert.equal(mock.stats().completionRequests, 3);
    } finally {
      await mock.close();
    }
  },
);

test(
  'probe against a server that is not OpenAI: exit 4 and a diagnosis naming the OpenAI API',
  { timeout: 60_000 },
  async () => {
    const mock = await startMockServer({ fault: 'not-openai' });
    try {
      const r = await runCli(['probe', '--endpoints', mock.url, '--model', 'm']);
      assert.equal(r.code, 4, describeResult(r));
      assert.match(r.stdout, /FAILED \[malformed_response\]/);
      assert.match(r.stdout, /not in the OpenAI API format/);
      assert.match(r.stdout, /0 of 3 requests succeeded/);
    } finally {
      await mock.close();
    }
  },
);

test('probe against a closed port: exit 3, cannot connect', { timeout: 60_000 }, async () => {
  const port = await closedPort();
  const r = await runCli(['probe', '--endpoints', `http://127.0.0.1:${port}`, '--model', 'm']);
  assert.equal(r.code, 3, describeResult(r));
  assert.match(r.stderr, /cannot connect/);
});

test('probe against a server answering 401: exit 4 and a hint to pass --api-key', { timeout: 60_000 }, async () => {
  const server = await startRecordingServer({ fixedStatus: 401 });
  try {
    const r = await runCli(['probe', '--endpoints', server.url, '--model', 'm', '--requests', '2']);
    assert.equal(r.code, 4, describeResult(r));
    assert.match(r.stdout, /FAILED \[http_status\] HTTP 401/);
    assert.match(r.stdout, /--api-key/);
    assert.match(r.stdout, /0 of 2 requests succeeded/);
  } finally {
    await server.close();
  }
});
