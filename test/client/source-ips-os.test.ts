/**
 * OS-level checks of the connection budget, bounded and loopback-only, inside a network
 * namespace this test creates (so it can shrink the port range without touching the host).
 * Skipped where network namespaces cannot be made (not Linux, not root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bindNoPortAvailable } from '../../src/client/bound-socket.js';

const fixture = fileURLToPath(new URL('../fixtures/netns-connections.ts', import.meta.url));
let made = 0;
const namespaces: string[] = [];

/** A fresh namespace with loopback up (fresh, so no TIME_WAIT from an earlier test eats ports). */
function makeNamespace(): string | null {
  if (process.platform !== 'linux') return null;
  const ns = `llmlg-test-${process.pid}-${made++}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return null;
  namespaces.push(ns);
  execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  return ns;
}

const available = makeNamespace() !== null;

function inNamespace(portRange: string, args: object): Record<string, unknown> {
  const ns = makeNamespace();
  if (ns === null) throw new Error('could not create a network namespace');
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv4.ip_local_port_range=${portRange}`]);
  const out = execFileSync(
    'ip',
    [
      'netns',
      'exec',
      ns,
      process.execPath,
      ...process.execArgv.filter((a) => !a.startsWith('--test')),
      fixture,
      JSON.stringify(args),
    ],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

test.after(() => {
  for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
});

test(
  'connections spread evenly over exactly the given source IPs; one port serves two source IPs',
  { skip: !available && 'cannot create a network namespace here' },
  () => {
    // 10 local ports, 3 source IPs, 30 connections to one destination: only possible because the
    // 4-tuple differs by source IP, so every port is in use on all three IPs at once.
    const r = inNamespace('40000 40009', {
      mode: 'hold',
      sourceIps: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
      count: 30,
    });
    assert.equal(r.open, 30);
    const locals = r.locals as [string, number][];
    assert.equal(locals.length, 30);
    const byIp = new Map<string, Set<number>>();
    for (const [ip, port] of locals) byIp.set(ip, (byIp.get(ip) ?? new Set()).add(port));
    assert.deepEqual([...byIp.keys()].sort(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    for (const [ip, ports] of byIp) assert.equal(ports.size, 10, `${ip} holds 10 connections`);
    const shared = [...byIp.get('127.0.0.2')!].filter((p) => byIp.get('127.0.0.3')!.has(p));
    assert.ok(shared.length > 0, 'a local port is in use on two source IPs at once');
  },
);

test(
  'with IP_BIND_ADDRESS_NO_PORT a bound source IP reuses its ports per destination',
  { skip: (!available || !bindNoPortAvailable()) && 'needs a network namespace and the native addon' },
  () => {
    // Two holds in one namespace would need two destinations; instead show that binding does not
    // burn ports at bind time: 10 ports, 1 source IP, 10 connections all succeed with no exhaustion.
    const r = inNamespace('40000 40009', { mode: 'hold', sourceIps: ['127.0.0.2'], count: 10 });
    assert.equal(r.bindNoPort, true);
    assert.equal(r.open, 10);
    assert.equal(r.exhaustion, 0);
  },
);

test(
  'port exhaustion is back-pressure: every request completes, none fails',
  { skip: !available && 'cannot create a network namespace here' },
  () => {
    // 6 local ports but 12 requests in flight against one destination: 6 wait for a connection.
    const r = inNamespace('40000 40005', { mode: 'backpressure', sourceIps: [], count: 12 });
    assert.equal(r.records, 36);
    assert.equal(r.failedRecords, 0, 'no request failed');
    assert.equal(r.completed, 36);
    assert.ok((r.portExhaustionEvents as number) > 0, 'exhaustion was counted');
    assert.ok((r.maxWaitMs as number) > 50, 'the wait shows up as client wait');
  },
);
