/**
 * The main process's RSS during a long run at the client's full rate, sampled every second: with
 * records appended to the results store as they arrive it must stay flat after the first seconds.
 * The mock endpoint runs in its own process (`llm-loadgen serve`, 0 ms TTFT/ITL: the client is the
 * limit); the benchmark runs the built CLI; RSS is read from /proc/<pid>/status of the main
 * process only (its shards are separate processes). Prints one line per second and a summary.
 *
 * Also the main process's CPU seconds (utime + stime from /proc/<pid>/stat, sampled each second:
 * the last sample before it exits), the load average, and with --svg an RSS-over-time plot.
 *
 *   npm run build && node --import tsx bench/store-rss.ts
 *     [--seconds 60] [--workers 1] [--concurrency 64] [--tokens 16] [--svg docs/img/store-rss.svg]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const seconds = Number(arg('seconds', '60'));
const workers = arg('workers', '1');
const concurrency = arg('concurrency', '64');
const tokens = arg('tokens', '16');
const svg = arg('svg', '');
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const TICKS = 100; // USER_HZ on Linux

/** utime + stime of `pid`, seconds (null once it has exited). */
function cpuS(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = path.join(root, 'dist', 'cli', 'main.js');

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]) / 1024;
  } catch {
    return null;
  }
}

const server = spawn(
  process.execPath,
  [cli, 'serve', '--port', '0', '--ttft-ms', '0', '--itl-ms', '0', '--output-tokens', tokens],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const url = await new Promise<string>((resolve) => {
  let out = '';
  server.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    const m = /(http:\/\/[\d.]+:\d+)/.exec(out);
    if (m !== null) resolve(m[1]);
  });
});
const tmp = mkdtempSync(path.join(os.tmpdir(), 'store-rss-'));
const bench = spawn(
  process.execPath,
  [
    cli,
    'benchmark',
    'online',
    '--endpoints',
    url,
    '--model',
    'm',
    '--load-pattern',
    'concurrency',
    '--concurrency',
    concurrency,
    '--duration',
    `${seconds}s`,
    '--workers',
    workers,
    '--max-output-tokens',
    tokens,
    '--records',
    'none',
    '--report-dir',
    path.join(tmp, 'report'),
    '--results-db',
    path.join(tmp, 'results.duckdb'),
  ],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
let stdout = '';
let stderr = '';
bench.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
bench.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
const samples: number[] = [];
let mainCpu = 0;
const loadBefore = load();
const timer = setInterval(() => {
  const mb = rssMb(bench.pid!);
  const cpu = cpuS(bench.pid!);
  if (cpu !== null) mainCpu = cpu;
  if (mb !== null) {
    samples.push(mb);
    process.stdout.write(`t=${samples.length}s rss=${mb.toFixed(1)} MB cpu=${mainCpu.toFixed(2)} s\n`);
  }
}, 1000);
const code = await new Promise<number | null>((resolve) => bench.once('close', resolve));
const wallS = samples.length;
clearInterval(timer);
server.kill();
const issued = /issued\s+(\d+)/.exec(stdout)?.[1] ?? /(\d+) requests/.exec(stdout)?.[1] ?? '?';
console.log(
  `main process CPU ${mainCpu.toFixed(2)} s (to its last 1 s sample); load average before ${loadBefore}, after ${load()}`,
);
if (svg !== '') writeFileSync(svg, rssSvg(samples, seconds, `${issued} requests, ${seconds} s run`));
const after = samples.slice(5);
console.log(
  `wall ${wallS} s for a ${seconds} s run; exit ${code}; requests ${issued}; RSS after 5 s: min ${Math.min(...after).toFixed(1)} MB, max ${Math.max(...after).toFixed(1)} MB, ` +
    `last ${samples.at(-1)?.toFixed(1)} MB; samples: ${samples.map((s) => s.toFixed(0)).join(' ')}`,
);
console.log(stdout.split('\n').slice(0, 12).join('\n'));
console.log(stderr.split('\n').slice(-4).join('\n'));
rmSync(tmp, { recursive: true, force: true });

/** RSS over time as a small self-contained SVG: one line, MB against s, the run's end marked. */
function rssSvg(mb: number[], runS: number, title: string): string {
  const w = 640;
  const h = 280;
  const left = 50;
  const bottom = 30;
  const top = 24;
  const maxMb = Math.max(50, Math.ceil(Math.max(...mb) / 50) * 50);
  const maxS = Math.max(mb.length, runS + 1);
  const x = (s: number) => left + ((w - left - 10) * s) / maxS;
  const y = (v: number) => h - bottom - ((h - bottom - top) * v) / maxMb;
  const points = mb.map((v, i) => `${x(i + 1).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const grid: string[] = [];
  for (let v = 0; v <= maxMb; v += maxMb / 5) {
    grid.push(
      `<line x1="${left}" x2="${w - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>` +
        `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`,
    );
  }
  for (let s = 0; s <= maxS; s += 10)
    grid.push(`<text x="${x(s)}" y="${h - bottom + 16}" text-anchor="middle">${s}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="11">
<text x="${left}" y="14">main-process RSS (MB) over time (s): ${title}</text>
${grid.join('\n')}
<line x1="${x(runS)}" x2="${x(runS)}" y1="${top}" y2="${h - bottom}" stroke="#c00" stroke-dasharray="4 3"/>
<text x="${x(runS) + 4}" y="${top + 10}" fill="#c00">run ends</text>
<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${points}"/>
</svg>
`;
}
