/**
 * --source-ips binds every connection a run makes: the reachability check, warmup and requests
 * alike. The server records the remote address of each connection it accepts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runBenchmark } from '../../src/run/run-benchmark.js';
import { jsonAnswer, rawServer } from './raw-shard.js';

test(
  'with --source-ips every connection of a run comes from those IPs (none from 127.0.0.1)',
  { skip: process.platform !== 'linux' && 'all of 127.0.0.0/8 is local only on Linux' },
  async () => {
    const server = await rawServer((r) => {
      r.socket.write(jsonAnswer());
    });
    const dir = await mkdtemp(path.join(tmpdir(), 'llm-loadgen-source-ips-'));
    const sink = new PassThrough();
    sink.resume();
    const sourceIps = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    try {
      const result = await runBenchmark(
        {
          mode: 'online',
          endpoints: [`http://127.0.0.1:${server.port}`],
          model: 'm',
          loadPattern: 'concurrency',
          concurrency: 3,
          numSamples: 12,
          streaming: 'off',
          workers: 1,
          sourceIps,
          reportDir: path.join(dir, 'report'),
        },
        { out: sink, err: sink as unknown as NodeJS.WriteStream, handleSignals: false },
      );
      assert.equal(result.exitCode, 0);
      assert.equal(result.summary?.n_samples_completed, 12);
      const remotes = server.remoteAddresses();
      assert.ok(remotes.length >= 3, `connections seen: ${remotes.join(', ')}`);
      assert.deepEqual(
        remotes.filter((a) => !sourceIps.includes(a)),
        [],
        'no connection from an address outside --source-ips',
      );
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
