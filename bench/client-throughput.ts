/**
 * Client throughput, side by side: wrk, h2load, autocannon and llm-loadgen against the same
 * nginx targets at the same connection counts, nginx pinned to core 0 and each client to core 1.
 *
 * Targets (static bodies, so the server does as little as it can per request):
 *   json       940 B OpenAI chat completion (non-streaming)
 *   sse        16.1 KB OpenAI chat stream, 65 events, sent with sendfile
 *   sse-small  the same stream, written in 128-byte pieces (events split across reads)
 * llm-loadgen decodes every SSE event and timestamps every token chunk (full measurement); the
 * other tools only count responses. `node-floor` (node-floor-client.ts) is the least a Node client
 * can do per request: write it, read the response to its end, nothing else. Every tool sends the
 * same POST request body. A second table gives each client's CPU per request while sending.
 *
 *   node --import tsx bench/client-throughput.ts [--duration 10] [--conns 64,256,1024] [--targets json,sse,sse-small] [--tools wrk,h2load,autocannon,node-floor,llm-loadgen]
 *
 * Open loop (llm-loadgen alone, json target): Poisson sending at each rate with each --send-timer,
 * against a closed loop at the first --conns, runs alternating, `--repeats` rounds, medians:
 *
 *   node --import tsx bench/client-throughput.ts --open-loop 200,2000,5000 --send-timers native,spin [--repeats 3] [--duration 10] [--conns 64]
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { ensureDebianTools } from './debian-tools.js';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPORT_FILES } from '../src/report/report-files.js';
import { buildBody } from '../src/api/openai-request.js';
import { JSON_ANSWER } from './nginx-json.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');

function opt(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const durationS = Number(opt('duration', '10'));
const conns = opt('conns', '64,256,1024').split(',').map(Number);
const targets = opt('targets', 'json,sse,sse-small').split(',');
const tools = opt('tools', 'wrk,h2load,autocannon,node-floor,llm-loadgen').split(',');
const openLoop = opt('open-loop', '').split(',').filter(Boolean).map(Number);
const sendTimers = opt('send-timers', 'native,spin').split(',');
const repeats = Number(opt('repeats', '3'));
const cores = os.availableParallelism();
const serverCore = '0';
const clientCore = cores > 1 ? '1' : '0';

function chatChunk(delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-bench0000000000000000000000', object: 'chat.completion.chunk', created: 1764000000, model: 'bench-model', system_fingerprint: 'fp_bench', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra })}\n\n`;
}

/** The bodies: an OpenAI JSON answer and a 65-event stream of about 12 KB. */
function makeContent(dir: string): { sseEvents: number } {
  writeFileSync(path.join(dir, 'body.json'), JSON.stringify(JSON_ANSWER));
  let sse = chatChunk({ role: 'assistant', content: '' }, null);
  let events = 1;
  for (let i = 0; i < 61; i++, events++) sse += chatChunk({ content: ` word${i}` }, null);
  sse += chatChunk({}, 'stop');
  sse += `data: ${JSON.stringify({ id: 'chatcmpl-bench0000000000000000000000', object: 'chat.completion.chunk', created: 1764000000, model: 'bench-model', choices: [], usage: { prompt_tokens: 64, completion_tokens: 61, total_tokens: 125 } })}\n\n`;
  sse += 'data: [DONE]\n\n';
  events += 3;
  writeFileSync(path.join(dir, 'body.sse'), sse);
  return { sseEvents: events };
}

const PORTS: Record<string, number> = { json: 18_201, sse: 18_202, 'sse-small': 18_203 };

function nginxConf(dir: string): string {
  const server = (port: number, file: string, extra: string) => `
    server {
      listen 127.0.0.1:${port} backlog=4096;
      location / {
        root ${dir};
        try_files /${file} =404;
        # POST to a static file is 405 in nginx: serve it anyway (the method becomes GET).
        error_page 405 =200 $uri;
        ${extra}
      }
    }`;
  return `
worker_processes 1;
worker_cpu_affinity 01;
worker_rlimit_nofile 16384;
daemon off;
master_process on;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 8192; multi_accept on; }
http {
  types { application/json json; text/event-stream sse; }
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 600s;
  tcp_nodelay on;
  etag off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  ${server(PORTS.json, 'body.json', 'sendfile on;')}
  ${server(PORTS.sse, 'body.sse', 'sendfile on;')}
  ${server(PORTS['sse-small'], 'body.sse', 'sendfile off; output_buffers 1 128; postpone_output 0;')}
}`;
}

/** CPU seconds (user + system) of the last command run(), all its processes together. */
let lastCpuS = 0;

/** Run a client pinned to the client core; bash's `times` reports the CPU of it and its children. */
function run(cmd: string, args: string[]): string {
  const r = spawnSync(
    'bash',
    ['-c', '"$@"; rc=$?; times >&2; exit $rc', 'bash', 'taskset', '-c', clientCore, cmd, ...args],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: (durationS + 60) * 1000,
    },
  );
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(0, 500)}`);
  const children = r.stderr.trimEnd().split('\n').pop() ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  lastCpuS = seconds.length === 2 ? seconds[0] + seconds[1] : NaN;
  return r.stdout + r.stderr;
}

interface Measured {
  rps: number;
  /**
   * Client CPU µs per request while sending, every process of the tool: bash `times` for wrk,
   * h2load and autocannon (their start-up is negligible), the tool's own count for node-floor and
   * llm-loadgen (which leave out start-up and, for llm-loadgen, report writing).
   */
  sendingCpuUsPerRequest?: number;
  cpuUsPerRequest?: number;
  failed?: number;
}

/**
 * Every tool sends the same POST: the body llm-loadgen builds for the one-row dataset below. The
 * server reads and discards it, so a bigger body from one tool would slow the server for it alone.
 */
const PROMPT = 'Say hello.';
function writeRequestFiles(dir: string): void {
  writeFileSync(path.join(dir, 'dataset.jsonl'), `${JSON.stringify({ prompt: PROMPT })}\n`);
  for (const streaming of [false, true]) {
    const body = JSON.stringify(
      buildBody({ prompt: PROMPT }, { apiType: 'chat', model: 'bench-model', streaming, maxOutputTokens: 64 }),
    );
    const name = streaming ? 'request-sse' : 'request-json';
    writeFileSync(path.join(dir, `${name}.json`), body);
    writeFileSync(
      path.join(dir, `${name}.lua`),
      `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`,
    );
  }
}

function measure(tool: string, target: string, c: number, dir: string): Measured {
  const url = `http://127.0.0.1:${PORTS[target]}/v1/chat/completions`;
  const request = path.join(dir, target === 'json' ? 'request-json' : 'request-sse');
  switch (tool) {
    case 'wrk': {
      const out = run('wrk', ['-t1', `-c${c}`, `-d${durationS}s`, '-s', `${request}.lua`, url]);
      return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]) };
    }
    case 'h2load': {
      const out = run('h2load', [
        '--h1',
        '-t1',
        `-c${c}`,
        `-D${durationS}`,
        '-d',
        `${request}.json`,
        '-H',
        'Content-Type: application/json',
        url,
      ]);
      return { rps: Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(out)![1]) };
    }
    case 'autocannon': {
      const out = run(process.execPath, [
        path.join(root, 'node_modules', 'autocannon', 'autocannon.js'),
        '-j',
        '-c',
        String(c),
        '-d',
        String(durationS),
        '-m',
        'POST',
        '-H',
        'Content-Type=application/json',
        '-b',
        readFileSync(`${request}.json`, 'utf8'),
        url,
      ]);
      const json = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as {
        requests: { average: number };
      };
      return { rps: json.requests.average };
    }
    case 'node-floor': {
      const out = run(process.execPath, [
        '--import',
        'tsx',
        path.join(root, 'bench', 'node-floor-client.ts'),
        '--url',
        url,
        '--body-file',
        `${request}.json`,
        '--conns',
        String(c),
        '--duration',
        String(durationS),
      ]);
      const floor = JSON.parse(out.split('\n').find((l) => l.startsWith('{"requests"'))!) as {
        rps: number;
        cpu_us_per_request: number;
      };
      return { rps: floor.rps, sendingCpuUsPerRequest: floor.cpu_us_per_request };
    }
    case 'llm-loadgen': {
      const reportDir = mkdtempSync(path.join(os.tmpdir(), 'llmlg-tp-'));
      try {
        const out = run(process.execPath, [
          cli,
          'benchmark',
          'online',
          '--endpoints',
          `http://127.0.0.1:${PORTS[target]}`,
          '--model',
          'bench-model',
          '--dataset',
          path.join(dir, 'dataset.jsonl'),
          '--max-output-tokens',
          '64',
          '--concurrency',
          String(c),
          '--duration',
          `${durationS}s`,
          '--workers',
          '1',
          '--streaming',
          target === 'json' ? 'off' : 'on',
          '--report-dir',
          reportDir,
        ]);
        const s = JSON.parse(readFileSync(path.join(reportDir, REPORT_FILES.summary), 'utf8')) as {
          qps: number;
          n_samples_issued: number;
          n_samples_failed: number;
          client_cpu_ns: number;
        };
        const shardCpuNs = Number(/\((\d+) shard\(s\) ([\d.]+) s/.exec(out)?.[2] ?? NaN) * 1e9;
        return {
          rps: s.qps,
          cpuUsPerRequest: shardCpuNs / s.n_samples_issued / 1000,
          sendingCpuUsPerRequest: s.client_cpu_ns / s.n_samples_issued / 1000,
          failed: s.n_samples_failed,
        };
      } finally {
        rmSync(reportDir, { recursive: true, force: true });
      }
    }
  }
  throw new Error(`unknown tool ${tool}`);
}

interface OpenLoopRun {
  rps: number;
  cpuUsPerRequest: number;
  lagP99Ms: number;
  waitP99Ms: number;
  failed: number;
}

/** One llm-loadgen run on the json target: Poisson at `qps` with `timer`, or closed loop when qps is 0. */
function openLoopRun(qps: number, timer: string, conns: number): OpenLoopRun {
  const reportDir = mkdtempSync(path.join(os.tmpdir(), 'llmlg-ol-'));
  try {
    // The same 64 connections both ways: a Poisson run's default limit is the port budget, and
    // warming thousands of connections (5,000 in 9 s here) would be most of what is measured.
    const load =
      qps > 0
        ? ['--target-qps', String(qps), '--send-timer', timer, '--max-connections', String(conns)]
        : ['--concurrency', String(conns)];
    const out = run(process.execPath, [
      cli,
      'benchmark',
      'online',
      '--endpoints',
      `http://127.0.0.1:${PORTS.json}`,
      '--model',
      'bench-model',
      '--max-output-tokens',
      '64',
      ...load,
      '--duration',
      `${durationS}s`,
      '--workers',
      '1',
      '--streaming',
      'off',
      '--report-dir',
      reportDir,
    ]);
    type Series = { percentiles: Record<string, number> };
    const s = JSON.parse(readFileSync(path.join(reportDir, REPORT_FILES.summary), 'utf8')) as {
      qps: number;
      n_samples_issued: number;
      n_samples_failed: number;
      schedule_lag: Series;
      client_queue_wait: Series;
    };
    const shardCpuNs = Number(/\((\d+) shard\(s\) ([\d.]+) s/.exec(out)?.[2] ?? NaN) * 1e9;
    return {
      rps: s.qps,
      cpuUsPerRequest: shardCpuNs / s.n_samples_issued / 1000,
      lagP99Ms: (s.schedule_lag.percentiles['99.0'] ?? NaN) / 1e6,
      waitP99Ms: (s.client_queue_wait.percentiles['99.0'] ?? NaN) / 1e6,
      failed: s.n_samples_failed,
    };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 === 1 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/** The open-loop table: every (rate, timer) and the closed loop, alternating within each round. */
function openLoopTable(): string[] {
  const cases: { name: string; qps: number; timer: string }[] = [{ name: `closed c=${conns[0]}`, qps: 0, timer: '' }];
  for (const qps of openLoop) for (const timer of sendTimers) cases.push({ name: `${qps}/s ${timer}`, qps, timer });
  const runs = new Map<string, OpenLoopRun[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < repeats; round++) {
    for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
      const r = openLoopRun(c.qps, c.timer, conns[0]);
      runs.get(c.name)!.push(r);
      process.stderr.write(
        `  round ${round + 1} ${c.name}: ${r.rps.toFixed(0)} req/s, ${r.cpuUsPerRequest.toFixed(1)} µs CPU/req, lag p99 ${r.lagP99Ms.toFixed(3)} ms, wait p99 ${r.waitP99Ms.toFixed(3)} ms\n`,
      );
    }
  }
  const closedCpu = median(runs.get(cases[0].name)!.map((r) => r.cpuUsPerRequest));
  const rows = [
    '| load | achieved req/s (vs target) | shard CPU µs/request | × closed loop | schedule lag p99 ms | client wait p99 ms | failed |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const c of cases) {
    const rs = runs.get(c.name)!;
    const rps = median(rs.map((r) => r.rps));
    const cpu = median(rs.map((r) => r.cpuUsPerRequest));
    const vs = c.qps > 0 ? ` (${((rps / c.qps - 1) * 100).toFixed(2)} %)` : '';
    rows.push(
      `| ${c.name} | ${rps.toFixed(0)}${vs} | ${cpu.toFixed(1)} | ${(cpu / closedCpu).toFixed(2)} | ${median(rs.map((r) => r.lagP99Ms)).toFixed(3)} | ${median(rs.map((r) => r.waitP99Ms)).toFixed(3)} | ${rs.reduce((a, r) => a + r.failed, 0)} |`,
    );
  }
  return rows;
}

async function main(): Promise<void> {
  ensureDebianTools([
    ['nginx', 'nginx-light'],
    ['wrk', 'wrk'],
    ['h2load', 'nghttp2-client'],
  ]);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmlg-nginx-'));
  chmodSync(dir, 0o755); // nginx workers run unprivileged and must read the bodies
  const { sseEvents } = makeContent(dir);
  writeRequestFiles(dir);
  writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(dir));
  const nginx: ChildProcess = spawn(
    'taskset',
    ['-c', serverCore, 'nginx', '-c', path.join(dir, 'nginx.conf'), '-p', dir],
    { stdio: 'inherit' },
  );
  await new Promise((r) => setTimeout(r, 700));
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  process.stderr.write(
    `machine: ${cpuModel}, ${cores} cores; nginx on core ${serverCore}, clients on core ${clientCore}; ${durationS} s per run\n`,
  );
  if (openLoop.length > 0) {
    try {
      console.log(openLoopTable().join('\n'));
    } finally {
      nginx.kill('SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const rows: string[] = [];
  const cpuRows: string[] = [];
  try {
    for (const target of targets) {
      for (const c of conns) {
        const results: Record<string, Measured> = {};
        for (const tool of tools) {
          results[tool] = measure(tool, target, c, dir);
          results[tool].sendingCpuUsPerRequest ??= (lastCpuS * 1e6) / (results[tool].rps * durationS);
          process.stderr.write(`  ${target} c=${c} ${tool}: ${results[tool].rps.toFixed(0)} req/s\n`);
        }
        const ours = results['llm-loadgen'];
        const ratio = (t: string) =>
          ours !== undefined && results[t] !== undefined ? (ours.rps / results[t].rps).toFixed(2) : '—';
        const perEvent =
          ours?.cpuUsPerRequest !== undefined && target !== 'json'
            ? ((ours.cpuUsPerRequest * 1000) / sseEvents).toFixed(0)
            : '—';
        const eventsPerS = ours !== undefined && target !== 'json' ? ((ours.rps * sseEvents) / 1e6).toFixed(2) : '—';
        // Events decoded per second of client CPU (shard + main process): the per-core rate.
        const eventsPerCpuS =
          ours?.sendingCpuUsPerRequest !== undefined && target !== 'json'
            ? (sseEvents / ours.sendingCpuUsPerRequest).toFixed(2)
            : '—';
        cpuRows.push(
          `| ${target} | ${c} | ${tools.map((t) => results[t]?.sendingCpuUsPerRequest?.toFixed(1) ?? '—').join(' | ')} |`,
        );
        rows.push(
          `| ${target} | ${c} | ${tools.map((t) => (results[t] ? results[t].rps.toFixed(0) : '—')).join(' | ')} | ${ratio('wrk')} | ${ratio('h2load')} | ${ratio('autocannon')} | ${ratio('node-floor')} | ${ours?.cpuUsPerRequest?.toFixed(1) ?? '—'} | ${perEvent} | ${eventsPerS} | ${eventsPerCpuS} | ${ours?.failed ?? '—'} |`,
        );
      }
    }
  } finally {
    nginx.kill('SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\n| target | conns | ${tools.join(' req/s | ')} req/s | ours/wrk | ours/h2load | ours/autocannon | ours/node-floor | our shard CPU µs/req | our shard CPU ns/event | our M events/s | our M events per client CPU-s | our failed |`,
  );
  console.log(`|${'---|'.repeat(tools.length + 12)}`);
  for (const r of rows) console.log(r);
  console.log('\nClient CPU µs per request while sending (all of its processes; llm-loadgen: shard + main process):\n');
  console.log(`| target | conns | ${tools.join(' | ')} |`);
  console.log(`|${'---|'.repeat(tools.length + 2)}`);
  for (const r of cpuRows) console.log(r);
}

await main();
