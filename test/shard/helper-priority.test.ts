/**
 * The shard's helper threads under SCHED_IDLE (shard/helper-priority.ts) and the guard's rule that
 * waits among the idled threads themselves are not starvation (native/thread_sched.c).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import test from 'node:test';
import { nativeAddon } from '../../src/native/addon.js';
import { thisProcessMayRestoreNice } from '../../src/native/thread-policy.js';
import { idleShardHelpers } from '../../src/shard/helper-priority.js';

const skip =
  process.platform !== 'linux' || nativeAddon() === null
    ? 'Linux with the addon only'
    : !thisProcessMayRestoreNice(os.getPriority(process.pid))
      ? 'this process may not leave SCHED_IDLE (no CAP_SYS_NICE, RLIMIT_NICE)'
      : false;

const HELPERS = new URL('../../src/shard/helper-priority.ts', import.meta.url).href;

test(
  'idled helpers that only wait behind each other on one core are not put back; the JS thread stays normal',
  { skip },
  () => {
    // Three worker threads pinned to one core spin 1.2 s each: each waits ~2/3 of the time behind
    // the others, yet together they have the core. A guard counting waits alone put them back.
    const core = String(os.availableParallelism() - 1);
    const script = `
      import { Worker } from 'node:worker_threads';
      import { readFileSync } from 'node:fs';
      import { idleShardHelpers } from ${JSON.stringify(HELPERS)};
      const body = "const { parentPort } = require('node:worker_threads'); const fs = require('node:fs');" +
        "const tid = fs.readlinkSync('/proc/thread-self').split('/').pop();" +
        "require('node:child_process').execFileSync('taskset', ['-p', '-c', '${core}', tid], { stdio: 'ignore' });" +
        "parentPort.once('message', () => { const end = Date.now() + 1200; while (Date.now() < end); parentPort.postMessage('done'); });" +
        "parentPort.postMessage('ready');";
      const workers = [0, 1, 2].map(() => new Worker(body, { eval: true, execArgv: [] }));
      await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
      const policy = (tid) => { const s = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[38]); };
      const h = idleShardHelpers('idle');
      for (const w of workers) w.postMessage('go');
      await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
      const js = policy(process.pid);
      const boosts = h === null ? -1 : h.restore();
      console.log(JSON.stringify({ boosts, js }));
      process.exit(0);`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.deepEqual(JSON.parse(out.trim()), { boosts: 0, js: 0 });
  },
);

test('--shard-helpers normal idles nothing', () => {
  assert.equal(idleShardHelpers('normal'), null);
});
