/**
 * Who holds the client's core while a shard waits to run: a 5,000 req/s Poisson run (nginx's JSON
 * answer on core 0, llm-loadgen on core 1, as open-loop-precision.ts runs it) with `perf sched
 * record` on core 1 for 6 s mid-run. For every wakeup of the shard's main thread: how long until it
 * ran, and for the waits over 0.5 ms, how much of that time core 1 ran the main process, the shard's
 * own other threads, or anything else (other work on the machine). Wakeups are the ones perf sees on
 * core 1 (a wake from core 0's network interrupt is not): a sample of them. Each --variants entry is one set
 * of llm-loadgen flags; rounds alternate the order. Needs `perf` and permission for sched tracepoints.
 *
 *   node --import tsx bench/open-loop-sched.ts [--variants '--main-nice 0|--main-nice 10'] [--rate 5000] [--repeats 2]
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPORT_FILES } from '../src/report/report-files.js';
import { benchmarkArgs, median } from './open-loop-cost.js';
import { startNginxJson } from './nginx-json.js';

function opt(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const variants = opt('variants', '--main-nice 0|--main-nice 10')
  .split('|')
  .map((v) => v.trim().split(/\s+/).filter(Boolean));
const rate = opt('rate', '5000');
const repeats = Number(opt('repeats', '2'));
const port = Number(opt('port', '18313'));
const TRACE_AFTER_MS = 7000;
const TRACE_S = 6;

interface Waits {
  wakeups: number;
  p99Ms: number;
  over1Ms: number;
  /**
   * Core-1 time during the shard's waits over 0.5 ms, ms: the main process, the shard's other threads
   * (V8's compiler and GC helpers), the rest (nginx is on core 0: other work on the machine).
   */
  mainMs: number;
  shardMs: number;
  otherMs: number;
  /** All the main process ran on core 1 in the trace, ms. */
  mainRunMs: number;
  /** The other processes that ran most inside those waits ("comm ms", largest first). */
  otherTop: string;
  /** The whole run's shard CPU per request, µs, and lag p99, ms (its result_summary.json). */
  cpuUsPerRequest: number;
  lagP99Ms: number;
}

/** Parses `perf script` of sched_waking/sched_switch events for the shard's thread `shard` (its pid). */
function shardWaits(script: string, main: number, shard: number): Omit<Waits, 'cpuUsPerRequest' | 'lagP99Ms'> {
  const re = /^\s*(\d+)\/(\d+)\s+\[\d+\]\s+([\d.]+):\s+sched:(\w+):\s+(.*)$/;
  let waking: number | null = null;
  let shardOn = false;
  let since: number | null = null;
  let during = { main: 0, shard: 0, other: 0 };
  const duringOther = new Map<string, number>();
  const otherByComm = new Map<string, number>();
  const blame = { main: 0, shard: 0, other: 0 };
  const delays: number[] = [];
  let mainRun = 0;
  for (const line of script.split('\n')) {
    const m = re.exec(line);
    if (m === null) continue;
    const pid = Number(m[1]);
    const t = Number(m[3]);
    if (m[4] === 'sched_waking') {
      if (Number(/ pid=(\d+)/.exec(m[5])?.[1]) === shard && waking === null && !shardOn) {
        waking = t;
        during = { main: 0, shard: 0, other: 0 };
        duringOther.clear();
      }
    } else if (m[4] === 'sched_switch') {
      // The event's task is the one switched out: it ran from `since` to t.
      const next = Number(/next_pid=(\d+)/.exec(m[5])?.[1]);
      if (pid === main && since !== null) mainRun += t - since;
      const tid = Number(m[2]);
      // The shard switched out while "waiting": its switch-in was lost (perf drops events under load): no wait.
      if (tid === shard) waking = null;
      if (waking !== null && since !== null) {
        const who = pid === main ? 'main' : pid === shard ? 'shard' : 'other';
        if (pid !== 0) during[who] += t - Math.max(since, waking);
        if (pid !== 0 && who === 'other') {
          const comm = /prev_comm=(\S+)/.exec(m[5])?.[1] ?? '?';
          duringOther.set(comm, (duringOther.get(comm) ?? 0) + t - Math.max(since, waking));
        }
      }
      if (next === shard && waking !== null) {
        const d = t - waking;
        delays.push(d);
        if (d > 0.5e-3) {
          for (const k of ['main', 'shard', 'other'] as const) blame[k] += during[k];
          for (const [c, v] of duringOther) otherByComm.set(c, (otherByComm.get(c) ?? 0) + v);
        }
        waking = null;
      }
      shardOn = next === shard;
      since = t;
    }
  }
  delays.sort((a, b) => a - b);
  const top = [...otherByComm].sort((a, b) => b[1] - a[1]).slice(0, 5);
  return {
    otherTop: top.map(([c, v]) => `${c} ${(v * 1e3).toFixed(1)}`).join(', '),
    wakeups: delays.length,
    p99Ms: (delays[Math.min(delays.length - 1, Math.floor(0.99 * delays.length))] ?? NaN) * 1e3,
    over1Ms: delays.filter((d) => d > 1e-3).length,
    mainMs: blame.main * 1e3,
    shardMs: blame.shard * 1e3,
    otherMs: blame.other * 1e3,
    mainRunMs: mainRun * 1e3,
  };
}

async function traceRun(url: string, extra: string[]): Promise<Waits> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmlg-sched-'));
  try {
    const args = [...benchmarkArgs(root, url, rate, 20, dir), '--send-timer', 'native', ...extra];
    // taskset execs node: the child's pid is the main process's.
    const child = spawn('taskset', ['-c', '1', process.execPath, ...args], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, TRACE_AFTER_MS));
    const main = child.pid!;
    const shard = readdirSync(`/proc/${main}/task`)
      .flatMap((tid) => readFileSync(`/proc/${main}/task/${tid}/children`, 'utf8').trim().split(/\s+/))
      .filter((p) => p !== '' && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('shard-process'))
      .map(Number)[0];
    const data = path.join(dir, 'sched.data');
    spawnSync('perf', ['sched', 'record', '-C', '1', '-o', data, '--', 'sleep', String(TRACE_S)], { stdio: 'ignore' });
    await exited;
    const script = execFileSync('perf', ['script', '-i', data, '-F', 'pid,tid,cpu,time,event,trace'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const summary = JSON.parse(readFileSync(path.join(dir, 'report', REPORT_FILES.summary), 'utf8')) as {
      n_samples_issued: number;
      duration_ns: number;
      schedule_lag: { percentiles: Record<string, number> };
      client_health: { shards: { cpu_share: number }[] };
    };
    const cpuNs = summary.client_health.shards[0].cpu_share * summary.duration_ns;
    return {
      ...shardWaits(script, main, shard),
      cpuUsPerRequest: cpuNs / summary.n_samples_issued / 1000,
      lagP99Ms: summary.schedule_lag.percentiles['99.0'] / 1e6,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  const nginx = await startNginxJson(port);
  const uptime = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  const runs = variants.map((): Waits[] => []);
  process.stdout.write(`uptime before: ${uptime()}\n`);
  try {
    for (let round = 0; round < repeats; round++) {
      const order = variants.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const v of order) {
        const w = await traceRun(nginx.url, variants[v]);
        runs[v].push(w);
        process.stderr.write(
          `  round ${round + 1} [${variants[v].join(' ')}]: ${w.wakeups} wakeups, wait p99 ${w.p99Ms.toFixed(3)} ms, ${w.over1Ms} over 1 ms; ` +
            `waits > 0.5 ms: main ${w.mainMs.toFixed(1)} ms, shard ${w.shardMs.toFixed(1)} ms, other ${w.otherMs.toFixed(1)} ms (${w.otherTop}); main ran ${w.mainRunMs.toFixed(0)} ms; run: lag p99 ${w.lagP99Ms.toFixed(3)} ms, shard ${w.cpuUsPerRequest.toFixed(1)} µs/request (${uptime()})\n`,
        );
      }
    }
  } finally {
    nginx.stop();
  }
  process.stdout.write(`uptime after:  ${uptime()}\n\n`);
  process.stdout.write(
    `| flags | rounds | shard wakeups | wait to run p99 ms | waits > 1 ms | core 1 during waits > 0.5 ms: main / shard's other threads / other, ms | main ran, ms of ${TRACE_S} s | run's lag p99 ms | shard CPU µs/request |\n|---|---|---|---|---|---|---|---|---|\n`,
  );
  variants.forEach((v, i) => {
    const m = (f: (w: Waits) => number, d = 1) => median(runs[i].map(f)).toFixed(d);
    process.stdout.write(
      `| ${v.join(' ') || '(none)'} | ${runs[i].length} | ${m((w) => w.wakeups, 0)} | ${m((w) => w.p99Ms, 3)} | ${m((w) => w.over1Ms, 0)} | ${m((w) => w.mainMs)} / ${m((w) => w.shardMs)} / ${m((w) => w.otherMs)} | ${m((w) => w.mainRunMs, 0)} | ${m((w) => w.lagP99Ms, 3)} | ${m((w) => w.cpuUsPerRequest)} |\n`,
    );
  });
}

await main();
