/**
 * --main-nice: during a run every thread of the main process runs N nice levels below the shards
 * (which stay at the original nice), and after the run every thread is back; without the permission
 * to go back (no CAP_SYS_NICE, RLIMIT_NICE 0) nothing is lowered. Linux only (skipped elsewhere).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { lowerMainPriority } from '../../src/run/main-priority.js';
import { mayRestoreNice } from '../../src/native/thread-policy.js';
import { nativeAddon } from '../../src/native/addon.js';
import { runBenchmark } from '../../src/run/run-benchmark.js';
import { makeTempDir } from '../cli/cli-process.js';
import { OK_CHAT_BODY } from '../fixtures/chat-bodies.js';

const linux = process.platform === 'linux';
const skip = linux ? false : 'Linux only: thread priorities are read from /proc';

/** Nice of every thread of `pid` (field 19 of /proc/PID/task/TID/stat). */
function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

/** [nice, scheduling policy] of every thread of `pid` (fields 19 and 41 of /proc/PID/task/TID/stat; SCHED_IDLE is 5). */
function threadSched(pid: number): [number, number][] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(f[16]), Number(f[38])];
  });
}
const SCHED_IDLE = 5;

/** The shard processes among this process's children (tsx's esbuild is one too). */
function shardPids(): number[] {
  return readdirSync('/proc/self/task')
    .flatMap((tid) => readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean))
    .filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('shard-process'))
    .map(Number);
}

test('mayRestoreNice: CAP_SYS_NICE, or RLIMIT_NICE down to the nice to restore', () => {
  const limits = (soft: string) => `Limit Soft Limit Hard Limit Units\nMax nice priority         ${soft}  ${soft}\n`;
  assert.equal(mayRestoreNice('CapEff:\t0000000000800000\n', limits('0'), 0), true); // bit 23 only
  assert.equal(mayRestoreNice('CapEff:\t000001ffff7fffff\n', limits('0'), 0), false); // all but bit 23
  assert.equal(mayRestoreNice('CapEff:\t0000000000000000\n', limits('20'), 0), true); // 20 − 20 = 0
  assert.equal(mayRestoreNice('CapEff:\t0000000000000000\n', limits('19'), 0), false);
  assert.equal(mayRestoreNice('CapEff:\t0000000000000000\n', limits('15'), 5), true);
  assert.equal(mayRestoreNice('CapEff:\t0000000000000000\n', limits('unlimited'), 0), true);
  assert.equal(mayRestoreNice('', '', 0), false);
});

test(
  'a run lowers every main-process thread by --main-nice, not the shards, and restores them after',
  { skip },
  async () => {
    const base = os.getPriority(process.pid);
    if (!mayRestoreNice(readFileSync('/proc/self/status', 'utf8'), readFileSync('/proc/self/limits', 'utf8'), base)) {
      test.skip(
        'this process may not raise a priority back (no CAP_SYS_NICE, RLIMIT_NICE): the no-permission test covers it',
      );
      return;
    }
    let seen: { main: number[]; shards: number[][] } | null = null;
    let sched: { main: [number, number][]; shards: [number, number][][] } | null = null;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        // This handler runs in the main process, during the run: look at every thread of it and of its shards.
        seen ??= { main: threadNices(process.pid), shards: shardPids().map(threadNices) };
        sched ??= { main: threadSched(process.pid), shards: shardPids().map(threadSched) };
        res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_BODY);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sink = new PassThrough().resume();
    const tmp = await makeTempDir('main-nice-');
    try {
      const r = await runBenchmark(
        {
          mode: 'offline',
          endpoints: [url],
          model: 'm',
          numSamples: 4,
          workers: 2,
          mainNice: 7,
          reportDir: path.join(tmp.dir, 'report'),
          resultsDb: path.join(tmp.dir, 'r.duckdb'),
        },
        { out: sink, err: sink as unknown as NodeJS.WriteStream, handleSignals: false },
      );
      assert.equal(r.exitCode, 0);
    } finally {
      server.close();
      server.closeAllConnections();
      await tmp.cleanup();
    }
    assert.ok(seen !== null, 'the server saw a request');
    const { main, shards } = seen as { main: number[]; shards: number[][] };
    assert.ok(main.length > 1, `main threads: ${main.join(',')}`);
    // --main-sched idle (the default) with the addon: one guard thread stays as it was, normal.
    const s = sched as unknown as { main: [number, number][]; shards: [number, number][][] };
    const idled = s.main.filter(([, policy]) => policy === SCHED_IDLE);
    const guard = nativeAddon() === null ? 0 : 1;
    assert.equal(idled.length, main.length - guard, `main threads [nice, policy]: ${JSON.stringify(s.main)}`);
    assert.deepEqual(
      s.main.filter(([, policy]) => policy !== SCHED_IDLE),
      guard === 1 ? [[base, 0]] : [],
      `the guard thread: ${JSON.stringify(s.main)}`,
    );
    // Each shard (--shard-helpers idle, the default, with the addon): its JS thread and its own guard
    // normal, its helpers (V8's workers, libuv's) SCHED_IDLE; without the addon all normal.
    for (const threads of s.shards) {
      const normal = threads.filter(([, p]) => p === 0).length;
      assert.equal(normal, guard === 1 ? 2 : threads.length, `shard policies: ${JSON.stringify(threads)}`);
      assert.equal(threads.length - normal, threads.filter(([, p]) => p === SCHED_IDLE).length);
    }
    assert.deepEqual(
      new Set(idled.map(([nice]) => nice)),
      new Set([base + 7]),
      `main threads' nice during the run: ${main.join(',')}`,
    );
    assert.equal(shards.length, 2, 'two shard processes');
    for (const s of shards) assert.deepEqual(new Set(s), new Set([base]), `a shard's threads: ${s.join(',')}`);
    const after = threadNices(process.pid);
    assert.deepEqual(new Set(after), new Set([base]), `main threads after the run: ${after.join(',')}`);
    assert.deepEqual(new Set(threadSched(process.pid).map(([, p]) => p)), new Set([0]), 'policies after the run');
  },
);

/** The thread's scheduling policy, as JS source for the scripts below (field 41 of /proc/thread-self/stat). */
const POLICY_JS =
  "() => { const s = require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[38]); }";

/**
 * Runs `script` (an ES module, through tsx, with `core` in scope as a string) while a normal process
 * spins on `core` for 4 s; returns its stdout. Skips without the addon or the permission to leave
 * SCHED_IDLE.
 */
function beside4sSpinner(
  t: { skip(why: string): void },
  script: (core: string) => string,
  pin: boolean,
): string | null {
  const base = os.getPriority(process.pid);
  if (!mayRestoreNice(readFileSync('/proc/self/status', 'utf8'), readFileSync('/proc/self/limits', 'utf8'), base)) {
    t.skip('this process may not leave SCHED_IDLE (no CAP_SYS_NICE, RLIMIT_NICE)');
    return null;
  }
  const core = String(os.availableParallelism() - 1);
  const hog = spawn('taskset', [
    '-c',
    core,
    process.execPath,
    '-e',
    'const e = Date.now() + 4000; while (Date.now() < e);',
  ]);
  try {
    const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script(core)];
    const [file, args] = pin ? ['taskset', ['-c', core, ...node]] : [node[0], node.slice(1)];
    return execFileSync(file, args, { encoding: 'utf8', timeout: 60_000 });
  } finally {
    hog.kill();
  }
}

const LOWER_MAIN = `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
import { lowerMainPriority } from ${JSON.stringify(new URL('../../src/run/main-priority.ts', import.meta.url).href)};
const policy = ${POLICY_JS};`;

test(
  'under SCHED_IDLE on a core a normal process keeps busy, the guard puts the main thread back to normal',
  { skip: !linux || nativeAddon() === null ? 'Linux with the addon only' : false },
  (t) => {
    // On the spinner's core, a main thread lowered to SCHED_IDLE that wants the core too (it spins 2 s of wall time).
    const out = beside4sSpinner(
      t,
      () => `${LOWER_MAIN}
        const r = lowerMainPriority(5, () => {}, 'idle');
        const idled = policy();
        const end = Date.now() + 2000;
        while (Date.now() < end);
        const during = policy();
        r?.restore();
        console.log(JSON.stringify({ idle: r?.idle, idled, during, after: policy() }));`,
      true,
    );
    if (out === null) return;
    // Idled at first; starved by the spinner, back to SCHED_OTHER before its 2 s were over; normal after.
    assert.deepEqual(JSON.parse(out.trim()), { idle: true, idled: SCHED_IDLE, during: 0, after: 0 });
  },
);

test(
  'the guard watches every thread: a starved worker thread, the JS thread asleep, puts them all back to normal',
  {
    skip:
      !linux || nativeAddon() === null || os.availableParallelism() < 2
        ? 'Linux, 2+ cores, with the addon only'
        : false,
  },
  (t) => {
    // A commit asleep on a checkpoint that starved DuckDB threads run: here the JS thread sleeps
    // (awaits, free to run on another core) while a worker thread made after the idling (so
    // SCHED_IDLE too) pins itself to the spinner's core and wants it.
    const attempt = (): string | null =>
      beside4sSpinner(
        t,
        (core) => `${LOWER_MAIN}
          import { Worker } from 'node:worker_threads';
          // The worker is made first (its start is CPU the idled JS thread could be starved of), then
          // idled with every other thread, then told to go: after the idling the JS thread only awaits.
          const body = "const { parentPort } = require('node:worker_threads'); const fs = require('node:fs');" +
            ${JSON.stringify(`const policy = ${POLICY_JS};`)} +
            "const tid = fs.readlinkSync('/proc/thread-self').split('/').pop();" +
            "require('node:child_process').execFileSync('taskset', ['-p', '-c', '${core}', tid], { stdio: 'ignore' });" +
            "parentPort.once('message', () => { const idled = policy(); const end = Date.now() + 2000;" +
            "while (Date.now() < end); parentPort.postMessage({ idled, during: policy() }); });" +
            "parentPort.postMessage('ready');";
          const worker = new Worker(body, { eval: true, execArgv: [] });
          await new Promise((resolve) => worker.once('message', resolve));
          const r = lowerMainPriority(5, () => {}, 'idle');
          worker.postMessage('go');
          const w = await new Promise((resolve) => worker.once('message', resolve));
          const jsDuring = policy();
          r?.restore();
          console.log(JSON.stringify({ idle: r?.idle, worker: w, js: jsDuring }));
          process.exit(0);`,
        false,
      );
    // Load on the other core can starve the idled JS thread itself: then the guard fires before the
    // worker reads its policy (idled 0) and the run says nothing about the worker. Up to 3 tries.
    let out: string | null = null;
    for (let i = 0; i < 3; i++) {
      out = attempt();
      if (out === null || (JSON.parse(out.trim()) as { worker: { idled: number } }).worker.idled === SCHED_IDLE) break;
    }
    if (out === null) return;
    if ((JSON.parse(out.trim()) as { worker: { idled: number } }).worker.idled !== SCHED_IDLE) {
      t.skip(
        'SKIPPED: the other core was saturated in 3 tries (the JS thread itself starved first), so which thread the guard saw is unknown',
      );
      return;
    }
    // The worker started idle (inherited), was starved by the spinner, and the guard put it and the
    // sleeping JS thread back to SCHED_OTHER before the worker's 2 s were over.
    assert.deepEqual(JSON.parse(out.trim()), { idle: true, worker: { idled: SCHED_IDLE, during: 0 }, js: 0 });
  },
);

test('without the permission to go back, nothing is lowered', { skip }, () => {
  // As root: drop CAP_SYS_NICE for a child (RLIMIT_NICE stays as it is, 0 here); unprivileged: this process already lacks it.
  const script = `
    import { lowerMainPriority } from ${JSON.stringify(new URL('../../src/run/main-priority.ts', import.meta.url).href)};
    import os from 'node:os';
    let why = null;
    const r = lowerMainPriority(5, (w) => (why = w));
    console.log(JSON.stringify({ lowered: r !== null, why, nice: os.getPriority(process.pid) }));`;
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
  const root = process.getuid?.() === 0;
  if (
    !root &&
    mayRestoreNice(readFileSync('/proc/self/status', 'utf8'), readFileSync('/proc/self/limits', 'utf8'), 0)
  ) {
    test.skip('not root and allowed to raise priorities (RLIMIT_NICE): cannot make a process without the permission');
    return;
  }
  const limits = spawnSync('prlimit', ['--nice', '--output', 'SOFT', '--noheadings', '--pid', String(process.pid)], {
    encoding: 'utf8',
  });
  if (limits.status === 0 && limits.stdout.trim() !== '0') {
    test.skip(`RLIMIT_NICE is ${limits.stdout.trim()} here: dropping CAP_SYS_NICE alone leaves the permission`);
    return;
  }
  const out = root
    ? execFileSync('setpriv', ['--inh-caps=-sys_nice', '--bounding-set=-sys_nice', '--', ...node], { encoding: 'utf8' })
    : execFileSync(node[0], node.slice(1), { encoding: 'utf8' });
  const base = os.getPriority(process.pid);
  assert.deepEqual(JSON.parse(out.trim()), { lowered: false, why: 'no-permission-to-restore', nice: base });
  // And with the permission (this process, when root), it is lowered and set back.
  if (root) {
    const r = lowerMainPriority(5);
    assert.ok(r !== null);
    assert.deepEqual(new Set(threadNices(process.pid)), new Set([Math.min(19, base + 5)]));
    r.restore();
    assert.deepEqual(new Set(threadNices(process.pid)), new Set([base]));
  }
});
