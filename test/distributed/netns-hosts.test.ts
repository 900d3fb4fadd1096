/**
 * Hosts as network namespaces: the test makes three namespaces, each with its own address on a
 * bridge (a private network on this machine only: nothing leaves it), and runs one `--shard i/3`
 * process in each against the mock endpoint on the bridge's address. The merge's host table must
 * show each host's own source address — the one the endpoint saw its connections come from (a
 * small TCP relay in front of the mock records them). Skipped, saying why, where namespaces cannot
 * be made (not Linux, not root, no `ip`).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { startMockServer, type RunningMockServer } from '../../src/servers/mock-openai-server.js';
import {
  CLI_MAIN,
  PROJECT_ROOT,
  describeResult,
  makeTempDir,
  readJson,
  runCli,
  type TempDir,
  cli,
} from '../cli/cli-process.js';

const HOSTS = 3;
const tag = process.pid % 10_000;
// A /24 of its own per test process (10.231.x.0), the bridge at .1, host i at .(10 + i).
const subnet = `10.231.${process.pid % 250}`;
const bridge = `lg${tag}br`;
const namespaces = Array.from({ length: HOSTS }, (_, i) => `llmlg-host-${process.pid}-${i}`);
const hostAddress = (i: number) => `${subnet}.${10 + i}`;

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

function teardown(): void {
  for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
  spawnSync('ip', ['link', 'del', bridge]);
}

/** Null when the namespaces are up; else why they cannot be made here. */
function makeHosts(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (making network namespaces needs CAP_SYS_ADMIN and CAP_NET_ADMIN)';
  if (spawnSync('ip', ['-V']).error !== undefined) return 'no `ip` command (iproute2)';
  try {
    ip(['link', 'add', bridge, 'type', 'bridge']);
    ip(['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
    ip(['link', 'set', bridge, 'up']);
    namespaces.forEach((ns, i) => {
      const outside = `lg${tag}h${i}`;
      const inside = `lg${tag}p${i}`;
      ip(['netns', 'add', ns]);
      ip(['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
      ip(['link', 'set', inside, 'netns', ns]);
      ip(['link', 'set', outside, 'master', bridge]);
      ip(['link', 'set', outside, 'up']);
      ip(['netns', 'exec', ns, 'ip', 'addr', 'add', `${hostAddress(i)}/24`, 'dev', inside]);
      ip(['netns', 'exec', ns, 'ip', 'link', 'set', inside, 'up']);
      ip(['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    });
    return null;
  } catch (err) {
    teardown();
    return `cannot make network namespaces: ${(err as Error).message}`;
  }
}

const unavailable = makeHosts();
if (unavailable !== null) console.error(`\n!!! SKIPPED the network-namespace hosts test: ${unavailable}\n`);

/** Runs the CLI inside a namespace (`ip netns exec` execs node itself, so a kill reaches it). */
function cliIn(ns: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.OPENAI_API_KEY;
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', CLI_MAIN, ...args], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('hosts as network namespaces', { skip: unavailable ?? false }, () => {
  let mock: RunningMockServer;
  let relay: net.Server;
  let tmp: TempDir;
  const seen = new Set<string>();
  before(async () => {
    tmp = await makeTempDir('llm-loadgen-netns-');
    mock = await startMockServer({ outputTokens: 4 });
    // The endpoint on the bridge: a relay that notes each connection's source, then hands it to the mock.
    relay = net.createServer((socket) => {
      seen.add(socket.remoteAddress ?? '?');
      const upstream = net.connect(mock.port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      const close = () => (socket.destroy(), upstream.destroy());
      socket.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => relay.listen(0, `${subnet}.1`, resolve));
  });
  after(async () => {
    relay?.close();
    await mock?.close();
    await tmp?.cleanup();
    teardown();
  });

  test('each host runs its shard from its own address; the merged host table shows each one', async () => {
    const port = (relay.address() as net.AddressInfo).port;
    const dir = (i: number) => path.join(tmp.dir, `host-${i}`);
    const runs = await Promise.all(
      namespaces.map((ns, i) =>
        cliIn(
          ns,
          cli`
          benchmark online --endpoints ${`http://${subnet}.1:${port}`} --model m --concurrency 3 --num-samples 30
          --max-output-tokens 4 --workers 1 --shard ${`${i}/${HOSTS}`} --start-barrier
          ${path.join(tmp.dir, 'barrier')} --report-dir ${dir(i)} --results-db ${`${dir(i)}.duckdb`}
        `,
        ),
      ),
    );
    for (const r of runs) assert.equal(r.code, 0, describeResult({ ...r, signal: null }));
    // Each host's own block names its own address.
    for (let i = 0; i < HOSTS; i++) {
      const s = await readJson<{ host: { source_addresses: string[]; hostname: string } }>(
        path.join(dir(i), REPORT_FILES.summary),
      );
      assert.deepEqual(s.host.source_addresses, [hostAddress(i)]);
    }
    const merged = path.join(tmp.dir, 'merged');
    const m = await runCli(['merge', ...namespaces.map((_, i) => dir(i)), '--report-dir', merged], {
      timeoutMs: 60_000,
    });
    assert.equal(m.code, 0, describeResult(m));
    const summary = await readJson<{
      n_samples_completed: number;
      hosts: { index: number; source_addresses: string[]; requests: number }[];
    }>(path.join(merged, REPORT_FILES.summary));
    assert.equal(summary.n_samples_completed, 30);
    assert.deepEqual(
      summary.hosts.map((h) => [h.index, h.source_addresses, h.requests]),
      namespaces.map((_, i) => [i, [hostAddress(i)], 10]),
    );
    // What the table says is what the endpoint saw: one address per host, no other.
    assert.deepEqual([...seen].sort(), namespaces.map((_, i) => hostAddress(i)).sort());
    const text = await readFile(path.join(merged, REPORT_FILES.text), 'utf8');
    for (let i = 0; i < HOSTS; i++)
      assert.match(text, new RegExp(`\\n {5}${i} {2}\\S+ +${hostAddress(i).replaceAll('.', '\\.')} +10 `));
    const html = await readFile(path.join(merged, REPORT_FILES.html), 'utf8');
    for (let i = 0; i < HOSTS; i++)
      assert.ok(html.includes(`<td>${hostAddress(i)}</td>`), `report.html shows ${hostAddress(i)}`);
  });
});
