/**
 * The main process's RSS during a long run at the client's full rate, sampled every second: with
 * records appended to the results store as they arrive it must stay flat after the first seconds.
 * The mock endpoint runs in its own process (`llm-loadgen serve`, 0 ms TTFT/ITL: the client is the
 * limit); the benchmark runs the built CLI; RSS is read from /proc/<pid>/status of the main
 * process only (its shards are separate processes). Prints one line per second and a summary.
 *
 *   npm run build && node bench/store-rss.ts   (or node --import tsx bench/store-rss.ts)
 *     [--seconds 60] [--workers 1] [--concurrency 64] [--tokens 16]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
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
const timer = setInterval(() => {
  const mb = rssMb(bench.pid!);
  if (mb !== null) {
    samples.push(mb);
    process.stdout.write(`t=${samples.length}s rss=${mb.toFixed(1)} MB\n`);
  }
}, 1000);
const code = await new Promise<number | null>((resolve) => bench.once('close', resolve));
const wallS = samples.length;
clearInterval(timer);
server.kill();
const issued = /issued\s+(\d+)/.exec(stdout)?.[1] ?? /(\d+) requests/.exec(stdout)?.[1] ?? '?';
const after = samples.slice(5);
console.log(
  `wall ${wallS} s for a ${seconds} s run; exit ${code}; requests ${issued}; RSS after 5 s: min ${Math.min(...after).toFixed(1)} MB, max ${Math.max(...after).toFixed(1)} MB, ` +
    `last ${samples.at(-1)?.toFixed(1)} MB; samples: ${samples.map((s) => s.toFixed(0)).join(' ')}`,
);
console.log(stdout.split('\n').slice(0, 12).join('\n'));
console.log(stderr.split('\n').slice(-4).join('\n'));
rmSync(tmp, { recursive: true, force: true });
