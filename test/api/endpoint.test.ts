import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEndpoint, parseEndpoints, redactUrlText } from '../../src/api/endpoint.js';
import { BadInputError } from '../../src/errors.js';

function badInput(fn: () => unknown, code: string): BadInputError {
  let caught: unknown = null;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof BadInputError, `expected BadInputError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.exitCode, 2);
  return caught;
}

test('a bare base URL gets /v1 and the chat path', () => {
  const e = parseEndpoint('http://h:8000', 'chat');
  assert.deepEqual(e, {
    displayUrl: 'http://h:8000',
    tls: false,
    host: 'h',
    port: 8000,
    hostHeader: 'h:8000',
    path: '/v1/chat/completions',
    basePath: '/v1',
    basicAuthorization: undefined,
  });
  assert.equal(parseEndpoint('http://h:8000/', 'chat').path, '/v1/chat/completions');
});

test('a base ending in /v1 gets only the API suffix', () => {
  for (const url of ['http://h:8000/v1', 'http://h:8000/v1/', 'http://h:8000/v1//']) {
    const e = parseEndpoint(url, 'chat');
    assert.equal(e.path, '/v1/chat/completions', url);
    assert.equal(e.basePath, '/v1', url);
  }
  const nested = parseEndpoint('http://h:8000/openai/v1', 'completions');
  assert.equal(nested.path, '/openai/v1/completions');
  assert.equal(nested.basePath, '/openai/v1');
});

test('another base path gets /v1 appended after it', () => {
  const e = parseEndpoint('http://h:8000/proxy/llama', 'chat');
  assert.equal(e.path, '/proxy/llama/v1/chat/completions');
  assert.equal(e.basePath, '/proxy/llama/v1');
});

test('a full API path is kept as given', () => {
  const chat = parseEndpoint('http://h:8000/v1/chat/completions', 'chat');
  assert.equal(chat.path, '/v1/chat/completions');
  assert.equal(chat.basePath, '/v1');
  const comp = parseEndpoint('http://h:8000/v1/completions/', 'completions');
  assert.equal(comp.path, '/v1/completions');
  assert.equal(comp.basePath, '/v1');
  const custom = parseEndpoint('https://gw.example.com/deployments/x/chat/completions', 'chat');
  assert.equal(custom.path, '/deployments/x/chat/completions');
  assert.equal(custom.basePath, '/deployments/x');
});

test('completions API gets /v1/completions', () => {
  assert.equal(parseEndpoint('http://h:8000', 'completions').path, '/v1/completions');
  assert.equal(parseEndpoint('http://h:8000/v1', 'completions').path, '/v1/completions');
});

test('schemeless host:port means http', () => {
  const e = parseEndpoint('127.0.0.1:8000', 'chat');
  assert.equal(e.tls, false);
  assert.equal(e.host, '127.0.0.1');
  assert.equal(e.port, 8000);
  assert.equal(e.hostHeader, '127.0.0.1:8000');
  assert.equal(e.displayUrl, 'http://127.0.0.1:8000');
  assert.equal(e.path, '/v1/chat/completions');
  const named = parseEndpoint('  localhost:9000/v1  ', 'chat');
  assert.equal(named.host, 'localhost');
  assert.equal(named.port, 9000);
  assert.equal(named.path, '/v1/chat/completions');
});

test('default ports: https 443, http 80, and the Host header omits a default port', () => {
  const s = parseEndpoint('https://api.example.com', 'chat');
  assert.equal(s.tls, true);
  assert.equal(s.port, 443);
  assert.equal(s.hostHeader, 'api.example.com');
  assert.equal(s.displayUrl, 'https://api.example.com');
  const explicit443 = parseEndpoint('https://api.example.com:443/v1', 'chat');
  assert.equal(explicit443.port, 443);
  assert.equal(explicit443.hostHeader, 'api.example.com');
  const p = parseEndpoint('http://api.example.com', 'chat');
  assert.equal(p.tls, false);
  assert.equal(p.port, 80);
  assert.equal(p.hostHeader, 'api.example.com');
  const httpsOn80 = parseEndpoint('https://api.example.com:80', 'chat');
  assert.equal(httpsOn80.port, 80);
  assert.equal(httpsOn80.hostHeader, 'api.example.com:80');
  assert.equal(parseEndpoint('HTTPS://API.Example.COM', 'chat').host, 'api.example.com');
});

test('IPv6: bare address for the socket, brackets in the Host header', () => {
  const e = parseEndpoint('http://[::1]:8000', 'chat');
  assert.equal(e.host, '::1');
  assert.equal(e.port, 8000);
  assert.equal(e.hostHeader, '[::1]:8000');
  assert.equal(e.displayUrl, 'http://[::1]:8000');
  const noPort = parseEndpoint('https://[2001:db8::1]/v1', 'chat');
  assert.equal(noPort.host, '2001:db8::1');
  assert.equal(noPort.port, 443);
  assert.equal(noPort.hostHeader, '[2001:db8::1]');
  assert.equal(parseEndpoint('[::1]:8000', 'chat').host, '::1');
});

test('credentials are taken out of the URL and become a Basic authorization', () => {
  const e = parseEndpoint('http://alice:s3cr%40t@h:8000/v1', 'chat');
  assert.equal(e.basicAuthorization, `Basic ${Buffer.from('alice:s3cr@t').toString('base64')}`);
  assert.equal(e.displayUrl, 'http://h:8000/v1');
  assert.equal(e.hostHeader, 'h:8000');
  assert.ok(
    !JSON.stringify({ ...e, basicAuthorization: undefined }).includes('s3cr'),
    'nothing else carries the secret',
  );
  // an unencoded '@' in the password: URL splits at the last '@'
  const at = parseEndpoint('http://bob:p@ss@h:8000', 'chat');
  assert.equal(at.basicAuthorization, `Basic ${Buffer.from('bob:p@ss').toString('base64')}`);
  assert.equal(at.host, 'h');
  // user only
  const userOnly = parseEndpoint('http://token@h:8000', 'chat');
  assert.equal(userOnly.basicAuthorization, `Basic ${Buffer.from('token:').toString('base64')}`);
  assert.equal(userOnly.displayUrl, 'http://h:8000');
  assert.equal(parseEndpoint('http://h:8000', 'chat').basicAuthorization, undefined);
});

test('credentials with a stray % are used literally instead of crashing', () => {
  // Regression: decodeURIComponent threw URIError ("URI malformed"), an internal error with exit code 1.
  const e = parseEndpoint('http://us%ZZer:p%w@h:8000', 'chat');
  assert.equal(e.basicAuthorization, `Basic ${Buffer.from('us%ZZer:p%w').toString('base64')}`);
  assert.equal(e.displayUrl, 'http://h:8000');
});

test('the query string is kept on the request path; the fragment is dropped', () => {
  const e = parseEndpoint('https://h/openai/v1?api-version=2024-06-01#frag', 'chat');
  assert.equal(e.path, '/openai/v1/chat/completions?api-version=2024-06-01');
  assert.equal(e.basePath, '/openai/v1');
  assert.equal(e.displayUrl, 'https://h/openai/v1');
  const full = parseEndpoint('http://h:8000/v1/chat/completions?x=1', 'chat');
  assert.equal(full.path, '/v1/chat/completions?x=1');
});

test('invalid URLs and other schemes are BadInputError', () => {
  badInput(() => parseEndpoint('http://', 'chat'), 'endpoint_invalid');
  badInput(() => parseEndpoint('http://h:99999', 'chat'), 'endpoint_invalid');
  badInput(() => parseEndpoint('http://h:port', 'chat'), 'endpoint_invalid');
  badInput(() => parseEndpoint('http://[::1', 'chat'), 'endpoint_invalid');
  badInput(() => parseEndpoint('ftp://h:21', 'chat'), 'endpoint_scheme');
  badInput(() => parseEndpoint('ws://h:8000', 'chat'), 'endpoint_scheme');
  badInput(() => parseEndpoint('file:///etc/passwd', 'chat'), 'endpoint_scheme');
  badInput(() => parseEndpoint('   ', 'chat'), 'endpoint_empty');
});

test('error messages never show URL credentials, even a password containing "@"', () => {
  const a = badInput(() => parseEndpoint('ftp://user:hunter2@h', 'chat'), 'endpoint_scheme');
  assert.ok(!a.message.includes('hunter2'), a.message);
  assert.ok(a.message.includes('***@h'), a.message);
  const b = badInput(() => parseEndpoint('ftp://user:hun@ter2@h/x', 'chat'), 'endpoint_scheme');
  assert.ok(!b.message.includes('ter2'), b.message);
  const c = badInput(() => parseEndpoint('http://user:hunter2@h:99999', 'chat'), 'endpoint_invalid');
  assert.ok(!c.message.includes('hunter2'), c.message);
  assert.equal(redactUrlText('see http://a:b@h/p and https://c:d@e@f/q'), 'see http://***@h/p and https://***@f/q');
  assert.equal(redactUrlText('http://h:8000/v1'), 'http://h:8000/v1');
});

test('comma lists: split, trimmed, blanks dropped, order kept', () => {
  const list = parseEndpoints(' http://a:1 , b:2,,https://c/v1 ', 'chat');
  assert.deepEqual(
    list.map((e) => [e.host, e.port, e.tls, e.path]),
    [
      ['a', 1, false, '/v1/chat/completions'],
      ['b', 2, false, '/v1/chat/completions'],
      ['c', 443, true, '/v1/chat/completions'],
    ],
  );
  const fromArray = parseEndpoints(['http://a:1,http://b:2', 'http://c:3'], 'completions');
  assert.deepEqual(
    fromArray.map((e) => e.hostHeader),
    ['a:1', 'b:2', 'c:3'],
  );
  assert.ok(fromArray.every((e) => e.path === '/v1/completions'));
});

test('an empty list is an error that says what to give', () => {
  for (const empty of ['', ' , ,', [] as string[], ['', ' ']]) {
    const err = badInput(() => parseEndpoints(empty, 'chat'), 'endpoint_missing');
    assert.match(err.message, /--endpoints/);
  }
  badInput(() => parseEndpoints('http://ok:1, ftp://bad', 'chat'), 'endpoint_scheme');
});
