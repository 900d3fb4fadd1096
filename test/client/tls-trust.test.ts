/**
 * https endpoints: a server whose certificate is signed by a CA made in this test is refused by
 * default with a message that says what to do, accepted with --ca-file (that CA), and accepted
 * with --insecure. The certificates are made with the machine's openssl.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parseEndpoint } from '../../src/api/endpoint.js';
import type { BenchmarkSettingsInput } from '../../src/config/benchmark-settings.js';
import { LoadgenError } from '../../src/errors.js';
import { runBenchmark } from '../../src/run/run-benchmark.js';
import { jsonAnswer, plan, runShard } from './raw-shard.js';
import { makeTestCerts, opensslAvailable } from '../fixtures/tls-certs.js';

const haveOpenssl = opensslAvailable();

test(
  'https with a private CA: refused by default, accepted with --ca-file, accepted with --insecure',
  { skip: !haveOpenssl && 'no openssl on this machine' },
  async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'llm-loadgen-tls-'));
    const {
      caFile,
      caSigned: { key, cert },
    } = makeTestCerts(dir);
    const answer = jsonAnswer();
    const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
    const server = https.createServer({ key, cert }, (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const sink = new PassThrough();
    sink.resume();
    let n = 0;
    const run = (extra: Partial<BenchmarkSettingsInput>) =>
      runBenchmark(
        {
          mode: 'online',
          endpoints: [`https://127.0.0.1:${port}`],
          model: 'm',
          loadPattern: 'concurrency',
          concurrency: 2,
          numSamples: 4,
          streaming: 'off',
          workers: 1,
          reportDir: path.join(dir, `report-${n++}`),
          ...extra,
        },
        { out: sink, err: sink as unknown as NodeJS.WriteStream, handleSignals: false },
      );
    try {
      await assert.rejects(run({}), (err: unknown) => {
        assert.ok(err instanceof LoadgenError);
        assert.equal(err.code, 'endpoint_tls_untrusted');
        assert.match(err.message, /not signed by a trusted CA: pass --ca-file .* or --insecure/);
        return true;
      });
      for (const extra of [{ caFile }, { insecure: true }]) {
        const result = await run(extra);
        assert.equal(result.exitCode, 0, JSON.stringify(extra));
        assert.equal(result.summary?.n_samples_completed, 4, JSON.stringify(result.summary?.errors));
      }
      // A bad --ca-file is bad input (exit 2) naming the flag.
      const notPem = path.join(dir, 'not-a-ca.txt');
      await writeFile(notPem, 'hello\n');
      await assert.rejects(run({ caFile: notPem }), (err: unknown) => {
        assert.ok(err instanceof LoadgenError);
        assert.equal(err.exitCode, 2);
        assert.match(err.message, /^--ca-file .*not-a-ca\.txt: no PEM certificate/);
        return true;
      });
      // Without the preflight (the shard itself): each request fails saying what to do.
      const p = plan(port, { maxRequests: 2 });
      p.endpoints = [{ ...parseEndpoint(`https://127.0.0.1:${port}`, 'chat'), address: '127.0.0.1' }];
      const { records } = await runShard(p);
      for (const r of records) {
        assert.equal(r.error, 'connect_failed');
        assert.match(r.errorMessage, /--ca-file/);
      }
      const ok = await runShard({ ...p, caFile });
      assert.deepEqual(
        ok.records.map((r) => r.error),
        ['', ''],
      );
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    }
  },
);
