/**
 * TLS endpoints (issue 14, hostile servers): a self-signed https endpoint is refused by default
 * with a message that names the certificate problem, accepted with `--insecure`; a certificate
 * signed by a private CA is refused by default and trusted with `--ca-file`. Driven through the
 * ShardRunner (per-request outcomes) and through the CLI (the whole run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import { describeResult, makeTempDir, readJson, readJsonl, runCli, type TempDir } from '../cli/cli-process.js';
import { runBounded, shardPlan } from './bounded-shard.js';
import { makeTestCerts, opensslAvailable, type TestCerts } from '../fixtures/tls-certs.js';
import { completionJson, GOOD_EVENTS, GOOD_TEXT } from './wire.js';
import { REPORT_FILES } from '../../src/report/report-files.js';

interface TlsServer {
  port: number;
  url: string;
  /** HTTP requests that got through the handshake. */
  requests(): number;
  close(): Promise<void>;
}

async function tlsServer(creds: { key: Buffer; cert: Buffer }): Promise<TlsServer> {
  let requests = 0;
  const server = https.createServer({ ...creds }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (s: string) => (body += s));
    req.on('end', () => {
      requests++;
      if (body.includes('"stream":true')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(GOOD_EVENTS);
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(completionJson(GOOD_TEXT));
      }
    });
  });
  // A refused handshake is the point of some cases: the server must not crash on it.
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const skip = opensslAvailable() ? false : 'openssl is not installed: no way to make test certificates';
let temp: TempDir | undefined;
let certs: TestCerts | undefined;
async function getCerts(): Promise<TestCerts> {
  if (certs === undefined) {
    temp = await makeTempDir('llm-loadgen-tls-');
    certs = makeTestCerts(temp.dir);
  }
  return certs;
}
test.after(async () => temp?.cleanup());

async function withTls<T>(
  which: 'selfSigned' | 'caSigned',
  fn: (s: TlsServer, c: TestCerts) => Promise<T>,
): Promise<T> {
  const c = await getCerts();
  const server = await tlsServer(c[which]);
  try {
    return await fn(server, c);
  } finally {
    await server.close();
  }
}

test(
  'a self-signed https endpoint is refused by default: every request connect_failed, naming the certificate',
  { skip },
  () =>
    withTls('selfSigned', async (server) => {
      const { records, summary } = await runBounded(shardPlan(server.port, { maxRequests: 3 }, 'https'), 10_000);
      assert.equal(summary.failed, 3);
      for (const r of records) {
        assert.equal(r.error, 'connect_failed');
        assert.match(r.errorMessage, /self[- ]signed certificate/i);
      }
      assert.equal(server.requests(), 0, 'no request went over an unverified connection');
    }),
);

test('the refusal says what to do (--insecure or --ca-file)', { skip }, () =>
  withTls('selfSigned', async (server) => {
    const { records } = await runBounded(shardPlan(server.port, { maxRequests: 1 }, 'https'), 10_000);
    assert.match(records[0].errorMessage, /--insecure/);
    assert.match(records[0].errorMessage, /--ca-file/);
  }),
);

test('a self-signed https endpoint is accepted with insecureTls, streaming and not', { skip }, () =>
  withTls('selfSigned', async (server) => {
    for (const streaming of [true, false]) {
      const { records } = await runBounded(
        shardPlan(
          server.port,
          {
            maxRequests: 3,
            insecureTls: true,
            request: { apiType: 'chat', model: 'm', streaming, maxOutputTokens: 16 },
          },
          'https',
        ),
        10_000,
      );
      for (const r of records) {
        assert.equal(r.error, '', r.errorMessage);
        assert.equal(r.text, GOOD_TEXT);
      }
    }
    assert.equal(server.requests(), 6);
  }),
);

test('a certificate from an unknown CA is refused by default', { skip }, () =>
  withTls('caSigned', async (server) => {
    const { records } = await runBounded(shardPlan(server.port, { maxRequests: 2 }, 'https'), 10_000);
    for (const r of records) {
      assert.equal(r.error, 'connect_failed');
      assert.match(r.errorMessage, /certificate/i);
    }
    assert.equal(server.requests(), 0);
  }),
);

// ---------- the CLI ----------

function cliArgs(url: string, dir: string, extra: string[] = []): string[] {
  return [
    'benchmark',
    'online',
    '--endpoints',
    url,
    '--model',
    'm',
    '--concurrency',
    '1',
    '--num-samples',
    '3',
    '--workers',
    '1',
    '--report-dir',
    dir,
    ...extra,
  ];
}

interface Summary {
  n_samples_issued: number;
  n_samples_completed: number;
  n_samples_failed: number;
}

test(
  'CLI: a self-signed endpoint is refused before any load: exit 3 naming the certificate problem and the flags',
  { skip, timeout: 60_000 },
  () =>
    withTls('selfSigned', async (server) => {
      const tmp = await makeTempDir();
      try {
        const r = await runCli(cliArgs(server.url, tmp.dir));
        assert.equal(r.code, 3, describeResult(r));
        assert.match(r.stderr, /self[- ]signed\s+certificate/i, describeResult(r));
        assert.match(r.stderr, /--insecure/, describeResult(r));
        assert.match(r.stderr, /--ca-file/, describeResult(r));
        assert.equal(server.requests(), 0);
      } finally {
        await tmp.cleanup();
      }
    }),
);

test('CLI: --insecure accepts a self-signed endpoint', { skip, timeout: 60_000 }, () =>
  withTls('selfSigned', async (server) => {
    const tmp = await makeTempDir();
    try {
      const r = await runCli(cliArgs(server.url, tmp.dir, ['--insecure']));
      assert.equal(r.code, 0, describeResult(r));
      const s = await readJson<Summary>(path.join(tmp.dir, REPORT_FILES.summary));
      assert.equal(s.n_samples_completed, 3);
      assert.equal(s.n_samples_failed, 0);
      assert.equal(server.requests(), 3);
    } finally {
      await tmp.cleanup();
    }
  }),
);

test('CLI: --ca-file trusts the CA that signed the endpoint (and only with it)', { skip, timeout: 60_000 }, () =>
  withTls('caSigned', async (server, c) => {
    const tmp = await makeTempDir();
    try {
      const r = await runCli(cliArgs(server.url, path.join(tmp.dir, 'ca'), ['--ca-file', c.caFile]));
      assert.equal(r.code, 0, describeResult(r));
      const records = await readJsonl(path.join(tmp.dir, 'ca', 'records.jsonl'));
      assert.equal(records.length, 3);
      for (const rec of records) assert.equal(rec.error, null, String(rec.error_message));
      assert.equal(server.requests(), 3);
      // the CA does not vouch for a self-signed certificate
      await withTls('selfSigned', async (other) => {
        const r2 = await runCli(cliArgs(other.url, path.join(tmp.dir, 'self'), ['--ca-file', c.caFile]));
        assert.match(r2.stdout + r2.stderr, /certificate/i, describeResult(r2));
        assert.equal(other.requests(), 0);
      });
    } finally {
      await tmp.cleanup();
    }
  }),
);
