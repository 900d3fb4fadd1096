/**
 * A shard's CPU split into a fixed part (per second, with warm connections and nothing to send)
 * and a marginal part (per request), against nginx's JSON answer (nginx on core 0, llm-loadgen on
 * core 1, one shard). Loads: `idle` (one request, 0.1 s before the window ends: the shard waits with warm connections),
 * a rate (Poisson at that many req/s, --max-connections 64), `closed` (64 connections in a closed
 * loop), `floor-RATE` (node-floor-open-loop.ts: a bare Node client sending at RATE, the least any
 * Node open loop costs). With several builds (repository roots, each built: dist/cli/main.js) every load runs on
 * each build in turn, alternating the order per round: an A/B with medians and B/A ratios.
 *
 *   node --import tsx bench/open-loop-cost.ts [--loads idle,200,closed] [--duration 10] [--repeats 3] [--builds .,/path/to/other/checkout]
 *     [--variants '--main-nice 0|--main-nice 10']   (one build, each run with these flags in turn: an A/B of a flag)
 *
 * `marginal` is (CPU/s at the load − CPU/s idle) ÷ requests/s.
 *
 * Shard CPU is the shard's own count for the run (client_health.shards[].cpu_share × the run's
 * duration, from process.cpuUsage: every thread of the shard, the JIT and GC included).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPORT_FILES } from '../src/report/report-files.js';
import { startNginxJson } from './nginx-json.js';

function opt(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const loads = opt('loads', 'idle,200,closed').split(',');
const durationS = Number(opt('duration', '10'));
const repeats = Number(opt('repeats', '3'));
const roots = opt('builds', here)
  .split(',')
  .map((b) => path.resolve(b));
/** --variants '--main-nice 0|--main-nice 10': one build (the first root) run with each set of extra flags. */
const variants = opt('variants', '')
  .split('|')
  .filter((v) => v.trim() !== '')
  .map((v) => v.trim().split(/\s+/));
const builds: { root: string; extra: string[] }[] =
  variants.length > 0
    ? variants.map((extra) => ({ root: roots[0], extra }))
    : roots.map((root) => ({ root, extra: [] }));
const port = Number(opt('port', '18311'));
export const clientCore = process.env.CLIENT_CORES ?? (os.availableParallelism() > 1 ? '1' : '0');

export interface CostRun {
  issued: number;
  /** Shard CPU ms per second of the run. */
  cpuMsPerS: number;
  cpuUsPerRequest: number;
  /** Open loop: issued ÷ (last send − start), the client's issue rate. */
  achieved: number;
  /** Open loop: issued ÷ (last scheduled send − start), the schedule's own rate. */
  scheduled: number;
  lagP99Ms: number;
  waitP99Ms: number;
  loopDelayP99Ms: number;
}

/** `idle` is a trace of one send 0.1 s before the window ends: the shard waits with warm connections. */
export function loadArgs(load: string, seconds: number, dir: string, conns = 64): string[] {
  const pool = ['--max-connections', String(conns), '--warmup-connections', String(conns)];
  if (load === 'closed') return ['--concurrency', String(conns)];
  if (load === 'idle') {
    const trace = path.join(dir, 'idle.trace');
    writeFileSync(trace, `${seconds - 0.1}\n`);
    return ['--trace', trace, ...pool];
  }
  return ['--target-qps', load, ...pool];
}

/** The CLI command line of one bench run of `root`'s build at `load` (one shard, no records, results in `dir`). */
export function benchmarkArgs(root: string, url: string, load: string, seconds: number, dir: string): string[] {
  return [
    ...[path.join(root, 'dist', 'cli', 'main.js'), 'benchmark', 'online', '--endpoints', url, '--model', 'bench-model'],
    ...['--max-output-tokens', '64', ...loadArgs(load, seconds, dir), '--duration', `${seconds}s`, '--workers', '1'],
    ...['--streaming', 'off', '--records', 'none'],
    ...['--results-db', path.join(dir, 'r.duckdb'), '--report-dir', path.join(dir, 'report')],
  ];
}

/** One run of `root`'s build at `load`; the shard's figures from its result_summary.json. */
export function costRun(root: string, url: string, load: string, seconds: number, extra: string[] = []): CostRun {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmlg-cost-'));
  try {
    const args = [...benchmarkArgs(root, url, load, seconds, dir), ...extra];
    const r = spawnSync('taskset', ['-c', clientCore, process.execPath, ...args], {
      encoding: 'utf8',
      timeout: (seconds + 90) * 1000,
    });
    if (r.status !== 0 && r.status !== 3) throw new Error(`run failed (${r.status}): ${r.stderr.slice(-800)}`);
    type Series = { avg: number | null; percentiles: Record<string, number> };
    const s = JSON.parse(readFileSync(path.join(dir, 'report', REPORT_FILES.summary), 'utf8')) as {
      n_samples_issued: number;
      duration_ns: number;
      qps: number;
      schedule_lag: Series;
      client_queue_wait: Series;
      client_health: {
        shards: { cpu_share: number; event_loop_delay_p99_ns: number | null }[];
        achieved_rate: number | null;
        scheduled_rate: number | null;
      };
    };
    const shard = s.client_health.shards[0];
    const cpuNs = shard.cpu_share * s.duration_ns;
    const p99 = (x: Series) => (x.avg === null ? NaN : x.percentiles['99.0'] / 1e6);
    return {
      issued: s.n_samples_issued,
      // Per second of the sending window (an idle run's summary spans only its one request).
      cpuMsPerS: cpuNs / 1e6 / seconds,
      cpuUsPerRequest: s.n_samples_issued > 0 ? cpuNs / s.n_samples_issued / 1000 : NaN,
      achieved: s.client_health.achieved_rate ?? s.qps,
      scheduled: s.client_health.scheduled_rate ?? NaN,
      lagP99Ms: p99(s.schedule_lag),
      waitP99Ms: p99(s.client_queue_wait),
      loopDelayP99Ms: (shard.event_loop_delay_p99_ns ?? NaN) / 1e6,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bare Node open-loop client (node-floor-open-loop.ts) at `rate`: its CPU per request. */
export function floorRun(url: string, rate: number, seconds: number): CostRun {
  const r = spawnSync(
    'taskset',
    [
      '-c',
      clientCore,
      process.execPath,
      '--import',
      'tsx',
      path.join(here, 'bench', 'node-floor-open-loop.ts'),
      '--url',
      `${url}/v1/chat/completions`,
      '--rate',
      String(rate),
      '--duration',
      String(seconds),
    ],
    { encoding: 'utf8', cwd: here, timeout: (seconds + 60) * 1000 },
  );
  if (r.status !== 0) throw new Error(`floor run failed (${r.status}): ${r.stderr.slice(-800)}`);
  const f = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    requests: number;
    seconds: number;
    cpu_us_per_request: number;
  };
  return {
    issued: f.requests,
    cpuMsPerS: (f.cpu_us_per_request * f.requests) / f.seconds / 1000,
    cpuUsPerRequest: f.cpu_us_per_request,
    achieved: f.requests / f.seconds,
    scheduled: NaN,
    lagP99Ms: NaN,
    waitP99Ms: NaN,
    loopDelayP99Ms: NaN,
  };
}

export function median(xs: number[]): number {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 === 1 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

async function main(): Promise<void> {
  const nginx = await startNginxJson(port);
  const runs = new Map<string, CostRun[]>();
  const key = (b: number, l: string) => `${b} ${l}`;
  try {
    for (let round = 0; round < repeats; round++) {
      for (const load of loads) {
        const order = builds.map((_, i) => i);
        if (round % 2 === 1) order.reverse();
        for (const b of order) {
          if (load.startsWith('floor-') && b !== 0) continue; // the floor is no build's
          const r = load.startsWith('floor-')
            ? floorRun(nginx.url, Number(load.slice(6)), durationS)
            : costRun(builds[b].root, nginx.url, load, durationS, builds[b].extra);
          const k = key(b, load);
          runs.set(k, [...(runs.get(k) ?? []), r]);
          process.stderr.write(
            `  round ${round + 1} build ${b} ${load}: ${r.issued} issued, shard ${r.cpuMsPerS.toFixed(2)} ms/s, ${r.cpuUsPerRequest.toFixed(1)} µs/req, lag p99 ${r.lagP99Ms.toFixed(3)} ms, wait p99 ${r.waitP99Ms.toFixed(3)} ms, loop delay p99 ${r.loopDelayP99Ms.toFixed(2)} ms\n`,
          );
        }
      }
    }
  } finally {
    nginx.stop();
  }
  process.stdout.write(`uptime: ${spawnSync('uptime', { encoding: 'utf8' }).stdout.trim()}\n`);
  builds.forEach((b, i) =>
    process.stdout.write(`build ${i}: ${b.root}${b.extra.length > 0 ? ` ${b.extra.join(' ')}` : ''}\n`),
  );
  process.stdout.write(
    '\n| load | build | issued | shard CPU ms/s | shard CPU µs/request | fixed ms/s (idle) | marginal µs/request | × build 0 (µs/request) | lag p99 ms | wait p99 ms |\n|---|---|---|---|---|---|---|---|---|---|\n',
  );
  for (const load of loads) {
    builds.forEach((_, b) => {
      const rs = runs.get(key(b, load)) ?? [];
      if (rs.length === 0) return;
      const cpuS = median(rs.map((r) => r.cpuMsPerS));
      const perReq = median(rs.map((r) => r.cpuUsPerRequest));
      const idle = median((runs.get(key(b, 'idle')) ?? []).map((r) => r.cpuMsPerS));
      const issuedPerS = median(rs.map((r) => r.issued)) / durationS;
      const marginal =
        load === 'idle' || load.startsWith('floor-') || Number.isNaN(idle) ? NaN : ((cpuS - idle) * 1000) / issuedPerS;
      const base = median((runs.get(key(0, load)) ?? []).map((r) => r.cpuUsPerRequest));
      const f = (x: number, d = 1) => (Number.isNaN(x) ? '—' : x.toFixed(d));
      process.stdout.write(
        `| ${load} | ${b} | ${median(rs.map((r) => r.issued)).toFixed(0)} | ${f(cpuS, 2)} | ${f(perReq)} | ${f(idle, 2)} | ${f(marginal)} | ${b === 0 ? '1.00' : f(perReq / base, 2)} | ${f(median(rs.map((r) => r.lagP99Ms)), 3)} | ${f(median(rs.map((r) => r.waitP99Ms)), 3)} |\n`,
      );
    });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
