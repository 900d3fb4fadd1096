/**
 * `llm-loadgen demo` (what `npm start` runs): the mock endpoint runs in its own process, the report
 * is printed, and the endpoint is gone when the demo ends — also when it is interrupted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { describeResult, makeTempDir, runCli, spawnCli } from './cli-process.js';

function endpointOf(stderr: string): URL {
  const m = /mock endpoint listening on (http:\/\/\S+)/.exec(stderr);
  assert.ok(m !== null, `no endpoint line in: ${stderr}`);
  return new URL(m[1]);
}

function refused(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(Number(url.port), url.hostname);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

test(
  'demo: a short run against the mock endpoint in its own process, report printed, endpoint gone after',
  { timeout: 60_000 },
  async () => {
    const dir = await makeTempDir();
    try {
      const r = await runCli(['demo', '--duration', '1s', '--concurrency', '4', '--report-dir', dir.dir], {
        timeoutMs: 45_000,
      });
      assert.equal(r.code, 0, describeResult(r));
      assert.match(r.stdout, /TTFT/);
      assert.match(r.stderr, /its own process/);
      // The server's work is not the client's: the main process is nearly idle during the run.
      const cpu = /main process ([\d.]+) s/.exec(r.stderr);
      assert.ok(cpu !== null && Number(cpu[1]) < 0.5, `main-process CPU during a 1 s demo: ${cpu?.[1]}`);
      assert.ok(await refused(endpointOf(r.stderr)), 'the mock endpoint still answers after the demo ended');
    } finally {
      await dir.cleanup();
    }
  },
);

test('demo: Ctrl-C writes a partial report and stops the endpoint', { timeout: 60_000 }, async () => {
  const dir = await makeTempDir();
  try {
    const { child, finished } = spawnCli(['demo', '--duration', '20s', '--concurrency', '4', '--report-dir', dir.dir], {
      timeoutMs: 45_000,
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!/progress|\d+ done|req\/s/.test(stderr) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    const r = await finished;
    assert.equal(r.code, 130, describeResult(r));
    assert.match(r.stdout, /TTFT/);
    assert.ok(await refused(endpointOf(r.stderr)), 'the mock endpoint still answers after the demo was interrupted');
  } finally {
    await dir.cleanup();
  }
});
