/**
 * Hosts given different runs never start: at a start barrier each host writes the run it was
 * given, host 0 compares them and refuses, and every host exits 2 (hosts_disagree) naming what
 * differs — here --workers, which would make the hosts split the run differently.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startMockServer, type RunningMockServer } from '../../src/servers/mock-openai-server.js';
import { describeResult, makeTempDir, runCli, type TempDir, cli } from '../cli/cli-process.js';

let server: RunningMockServer;
let tmp: TempDir;
before(async () => {
  server = await startMockServer({ outputTokens: 4 });
  tmp = await makeTempDir('llm-loadgen-hosts-check-');
});
after(async () => {
  await server?.close();
  await tmp?.cleanup();
});

test('at a start barrier, hosts given different --workers never start: every host exits 2 saying so', async () => {
  const runs = await Promise.all(
    [0, 1].map((i) =>
      runCli(
        cli`
          benchmark online --endpoints ${server.url} --model m --concurrency 4 --num-samples 40 --workers
          ${String(i + 1)} --shard ${`${i}/2`} --start-barrier ${path.join(tmp.dir, 'barrier')} --report-dir
          ${path.join(tmp.dir, `host-${i}`)} --results-db ${path.join(tmp.dir, `host-${i}.duckdb`)}
        `,
        { timeoutMs: 60_000 },
      ),
    ),
  );
  for (const r of runs) {
    assert.equal(r.code, 2, describeResult(r));
    assert.match(r.stderr, /error \[hosts_disagree\]/);
    assert.match(r.stderr, /shards per host \(--workers\) differs \(host 0: 1; host 1: 2\)/);
  }
  assert.equal(server.stats().completionRequests, 0, 'no request was sent');
});
