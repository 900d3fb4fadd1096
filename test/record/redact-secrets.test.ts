import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectSecrets, redact } from '../../src/record/redact-secrets.js';

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
