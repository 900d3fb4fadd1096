/**
 * The connection budget: how many concurrent connections this host can hold to the run's
 * endpoints. A TCP connection needs a unique (source ip, source port, dest ip, dest port), so
 * the ephemeral port range R is available once per distinct destination D (when the OS picks
 * the source) or once per source IP S (when we bind each connection to a source IP).
 */
import { readFileSync } from 'node:fs';

/** Linux's default ip_local_port_range 32768–60999. */
export const DEFAULT_PORT_RANGE_SIZE = 28_232;
/** File descriptors a shard keeps for itself (stdio, IPC, files) beyond its sockets. */
export const FD_MARGIN = 256;

export function readPortRangeSize(path = '/proc/sys/net/ipv4/ip_local_port_range'): number {
  try {
    const [lo, hi] = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi) && hi >= lo) return hi - lo + 1;
  } catch {
    // Not Linux, or /proc not mounted: use the default.
  }
  return DEFAULT_PORT_RANGE_SIZE;
}

/** The soft open-files limit of this process (sockets count against it). */
export function readOpenFilesLimit(path = '/proc/self/limits'): number {
  try {
    const line = readFileSync(path, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft !== undefined && /^\d+$/.test(soft)) return Number(soft);
  } catch {
    // Unknown: assume the common default.
  }
  return 1024;
}

export interface BudgetInput {
  portRangeSize: number;
  /** Distinct resolved destination ip:port pairs. */
  destinations: number;
  /** Source IPs connections are bound to (0 = the OS chooses). */
  sourceIps: number;
  /** Bound sockets set IP_BIND_ADDRESS_NO_PORT (the port is picked per destination at connect). */
  bindNoPort: boolean;
}

export interface Budget {
  connections: number;
  /** How the number was derived, for --dry-run and error messages. */
  explanation: string;
}

export function connectionBudget(input: BudgetInput): Budget {
  const { portRangeSize: r, destinations: d, sourceIps: s } = input;
  if (s === 0) {
    return { connections: r * d, explanation: `${r} ports × ${d} distinct destination(s) = ${r * d}` };
  }
  if (input.bindNoPort) {
    return {
      connections: r * s * d,
      explanation: `${r} ports × ${s} source IP(s) × ${d} distinct destination(s) = ${r * s * d} (IP_BIND_ADDRESS_NO_PORT)`,
    };
  }
  // Binding (ip, port 0) before connect makes each port exclusive to its source IP.
  return {
    connections: r * s,
    explanation: `${r} ports × ${s} source IP(s) = ${r * s} (plain bind: a bound port is exclusive to its source IP, whatever the destination)`,
  };
}
