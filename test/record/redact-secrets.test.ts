import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchBuilder, unpackRecords, type RecordBatch } from '../../src/record/record-batch.js';
import {
  MESSAGE_CHARS,
  collectSecrets,
  cutMessage,
  redact,
  scrubberFor,
  secretsOf,
} from '../../src/record/redact-secrets.js';
import type { RequestRecord } from '../../src/record/request-record.js';

function packWith(builder: RecordBatchBuilder, errorMessage: string): RecordBatch {
  const r: RequestRecord = {
    id: 0,
    sampleIndex: 0,
    shard: 0,
    endpoint: 0,
    sourceIp: '',
    streaming: false,
    reused: false,
    scheduled: 0,
    dispatched: 0,
    connectStart: NaN,
    connected: 0,
    sent: 0,
    headers: 0,
    firstChunk: NaN,
    firstToken: NaN,
    end: 1,
    chunkTimes: new Float64Array(0),
    status: 401,
    error: 'http_status',
    errorMessage,
    finishReason: '',
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: -1,
    retries: 0,
    tokenSource: 'none',
  };
  builder.add(r, null);
  return builder.take();
}

test('collectSecrets: the key, and URL credentials as sent (base64), decoded, and the password alone', () => {
  const basic = `Basic ${Buffer.from('user:pw123').toString('base64')}`;
  const secrets = collectSecrets('sk-secret-XYZ', [undefined, basic]);
  assert.deepEqual(
    new Set(secrets),
    new Set(['sk-secret-XYZ', Buffer.from('user:pw123').toString('base64'), 'user:pw123', 'pw123']),
  );
  // Longest first: "user:pw123" is replaced whole, not as "user:***".
  assert.equal(redact('got user:pw123 and pw123', secrets), 'got *** and ***');
});

test('redact: every occurrence; short secrets are not searched; no secrets, no change', () => {
  assert.equal(redact('Bearer sk-1234 / sk-1234', collectSecrets('sk-1234', [])), 'Bearer *** / ***');
  assert.deepEqual(collectSecrets('abc', [`Basic ${Buffer.from('u:p').toString('base64')}`]), [
    Buffer.from('u:p').toString('base64'),
  ]);
  assert.equal(redact('nothing to hide', []), 'nothing to hide');
});

test('redact: a secret cut off at the end (an excerpt or a body limit) is redacted too, from 4 characters on', () => {
  const secrets = collectSecrets('sk-TEST-LEAK-1-abcdef', []);
  assert.equal(redact('echo: sk-TEST-LE…', secrets), 'echo: ***…');
  assert.equal(redact('echo: sk-TEST-LEAK', secrets), 'echo: ***');
  assert.equal(redact('echo: sk-', secrets), 'echo: sk-', 'three characters say nothing');
  assert.equal(redact('a sk-TEST-LEAK-1-abcdef b sk-TE', secrets), 'a *** b ***');
});

test('secret --header values and Bearer/Basic forms are secrets; secretsOf reads a plan', () => {
  const isSecret = (name: string) => /key|token|authorization/i.test(name);
  const secrets = secretsOf(
    {
      apiKey: 'sk-one-1234',
      endpoints: [{}],
      headers: [
        ['X-Api-Key', 'hdr-two-5678'],
        ['Authorization', 'Bearer tok-three-9012'],
        ['X-Route', 'blue-blue-blue'],
      ],
    },
    isSecret,
  );
  const text = 'sk-one-1234 hdr-two-5678 tok-three-9012 blue-blue-blue';
  assert.equal(redact(text, secrets), '*** *** *** blue-blue-blue');
});

test('cutMessage cuts at a word boundary near the limit; the record batch scrubs, then cuts', () => {
  const words = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
  const cut = cutMessage(words, 50);
  assert.ok(cut.length <= 51 && cut.endsWith('…'), cut);
  assert.match(cut, /w\d+…$/, 'ends on a whole word');
  assert.ok(words.startsWith(cut.slice(0, -1)));

  const secret = 'sk-BATCH-SECRET-42';
  const builder = new RecordBatchBuilder(scrubberFor(collectSecrets(secret, [])));
  const message = `HTTP 401: ${'x '.repeat(140)}${secret} end`;
  const r = unpackRecords(packWith(builder, message))[0];
  assert.ok(!r.errorMessage.includes('sk-BATCH'), r.errorMessage);
  assert.ok(r.errorMessage.length <= MESSAGE_CHARS + 1, `${r.errorMessage.length}`);
});
