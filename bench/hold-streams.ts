/**
 * Benchmark: N concurrent streaming requests held open from one host (issue: 100,000 with 0
 * failed). The server is nginx (default: 8 workers sharing each port with reuseport, an SSE body
 * trickled with limit_rate so every stream lasts about 35 s) or K built-in mock-server
 * processes (`--server mock`; one port each, since a Node 20 server cannot share a port across
 * processes). Each port is one destination: K ports give a budget of K × the port range. It runs
 * `benchmark online --concurrency N --num-samples N --warmup-connections N`, so every request is
 * in flight at once, and reports the time to open all connections, the peak of established client
 * connections (counted by `ss`, independently of our own counters) and the shard processes' RSS
 * per 10k open streams.
 *
 *   node --import tsx bench/hold-streams.ts [--streams 100000] [--servers 8] [--server nginx|mock] [--plain]
 *
 * `--plain` leaves out `--warmup-connections` (and `--request-timeout`): the command a user would
 * type, so the default warmup is what is measured.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { ensureDebianTools } from './debian-tools.js';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPORT_FILES } from '../src/report/report-files.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const streams = arg('streams', 100_000);
const servers = arg('servers', 8);
const serverKind = process.argv.includes('--server') ? process.argv[process.argv.indexOf('--server') + 1] : 'nginx';
const itlMs = arg('itl-ms', 4000);
const tokens = arg('tokens', 6);
const basePort = arg('base-port', 18_100);
const plain = process.argv.includes('--plain');

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

/** Shard processes: children of the CLI whose command line is the shard entry. */
function shardPids(parent: number): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('shard-process')) pids.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function established(ports: number[]): number {
  const filter = ports.map((p) => `dport = :${p}`).join(' or ');
  const out = execFileSync('ss', ['-Htn', 'state', 'established', `( ${filter} )`], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out === '' ? 0 : out.trimEnd().split('\n').length;
}

async function startMockServers(ports: number[]): Promise<ChildProcess[]> {
  const procs = ports.map((port) =>
    spawn(
      process.execPath,
      [
        cli,
        'serve',
        '--port',
        String(port),
        '--ttft-ms',
        '500',
        '--itl-ms',
        String(itlMs),
        '--output-tokens',
        String(tokens),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  );
  await Promise.all(procs.map((p) => new Promise<void>((r) => p.stdout!.once('data', () => r()))));
  return procs;
}

/**
 * nginx: 8 workers share every port via reuseport, so each holds ~12.5k of 100k streams under the
 * 20,000 open-files limit; open_file_cache shares one file descriptor for the body per worker.
 */
async function startNginx(ports: number[]): Promise<ChildProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmlg-hold-nginx-'));
  chmodSync(dir, 0o755);
  let sse = `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`;
  for (let i = 0; i < 60; i++)
    sse += `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: ` w${i}` }, finish_reason: null }] })}\n\n`;
  sse += `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;
  writeFileSync(path.join(dir, 'body.sse'), sse);
  // The first event goes out at once; the rest trickles at ~200 B/s: a stream of about 35 s.
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 8; worker_rlimit_nofile 20000; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 19500; }
http { types { text/event-stream sse; } access_log off; keepalive_timeout 600s; open_file_cache max=16 inactive=600s; open_file_cache_valid 600s; client_body_temp_path ${dir}/body;
  server { ${ports.map((p) => `listen 127.0.0.1:${p} reuseport backlog=4096;`).join(' ')}
    location / { root ${dir}; try_files /body.sse =404; error_page 405 =200 $uri; limit_rate_after 200; limit_rate 200; } } }`,
  );
  const nginx = spawn('nginx', ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'inherit' });
  await sleep(1000);
  return nginx;
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  const ports = Array.from({ length: servers }, (_, i) => basePort + i);
  if (serverKind !== 'mock')
    ensureDebianTools([
      ['nginx', 'nginx-light'],
      ['ss', 'iproute2'],
    ]);
  const procs = serverKind === 'mock' ? await startMockServers(ports) : [await startNginx(ports)];
  const reportDir = mkdtempSync(path.join(os.tmpdir(), 'llmlg-hold-'));
  const t0 = performance.now();
  const bench = spawn(
    process.execPath,
    [
      cli,
      'benchmark',
      'online',
      '--endpoints',
      ports.map((p) => `http://127.0.0.1:${p}`).join(','),
      '--model',
      'mock',
      '--concurrency',
      String(streams),
      '--num-samples',
      String(streams),
      ...(plain ? [] : ['--warmup-connections', String(streams)]),
      '--max-output-tokens',
      String(tokens),
      ...(plain ? [] : ['--request-timeout', '300s']),
      '--report-dir',
      reportDir,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  bench.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((r) => bench.once('exit', (code) => r(code ?? -1)));
  let peak = 0;
  let rssAtPeakKb = 0;
  let shardCount = 0;
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    await sleep(1000);
    if (done) break;
    const n = established(ports);
    const pids = shardPids(bench.pid!);
    const rss = pids.reduce((a, p) => a + rssKb(p), 0);
    if (n > peak) {
      peak = n;
      shardCount = pids.length;
    }
    // The most the shards held while (nearly) every stream was open: RSS grows as streams run.
    if (n >= 0.99 * streams && rss > rssAtPeakKb) rssAtPeakKb = rss;
    process.stderr.write(
      `  t=${((performance.now() - t0) / 1000).toFixed(0)}s established=${n} shards=${pids.length} shard RSS=${(rss / 1024).toFixed(0)} MB\n`,
    );
  }
  const code = await exited;
  const wallS = (performance.now() - t0) / 1000;
  for (const p of procs) p.kill(serverKind === 'mock' ? 'SIGINT' : 'SIGQUIT');
  const summary = JSON.parse(readFileSync(path.join(reportDir, REPORT_FILES.summary), 'utf8')) as Record<
    string,
    number
  >;
  const warm = /warmup: (\d+) connections open in ([\d.]+) s/.exec(stderr);
  const result = {
    streams,
    server: serverKind,
    ports: servers,
    exitCode: code,
    issued: summary.n_samples_issued,
    completed: summary.n_samples_completed,
    failed: summary.n_samples_failed,
    warmupConnections: warm ? Number(warm[1]) : null,
    timeToOpenAllS: warm ? Number(warm[2]) : null,
    peakEstablished: peak,
    shards: shardCount,
    // Peak shard RSS while at least 99 % of the streams were open, and that per 10k streams.
    shardRssMb: Math.round(rssAtPeakKb / 1024),
    rssPer10kStreamsMb: peak > 0 ? Number(((rssAtPeakKb / 1024) * (10_000 / streams)).toFixed(1)) : null,
    portExhaustionEvents: summary.port_exhaustion_events,
    wallS: Number(wallS.toFixed(1)),
  };
  console.log(JSON.stringify(result, null, 2));
  if (code !== 0) process.stderr.write(stderr);
}

await main();
