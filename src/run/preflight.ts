/**
 * Before any load: resolve every endpoint once and check it accepts TCP connections, so an
 * unreachable server is one clear error (exit 3) instead of thousands of failed requests.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { Endpoint } from '../api/endpoint.js';
import { EndpointUnreachableError, ErrorCode } from '../errors.js';
import type { ResolvedEndpoint } from '../shard/shard-plan.js';

export async function resolveEndpoint(e: Endpoint): Promise<ResolvedEndpoint> {
  if (net.isIP(e.host) !== 0) return { ...e, address: e.host };
  try {
    const { address } = await lookup(e.host);
    return { ...e, address };
  } catch (err) {
    throw new EndpointUnreachableError(
      ErrorCode.endpointDns,
      `${e.displayUrl}: cannot resolve host "${e.host}" (${(err as NodeJS.ErrnoException).code ?? String(err)}). Check the --endpoints URL.`,
    );
  }
}

/** Open (and close) one TCP connection. Throws EndpointUnreachableError with a diagnosis. */
export function checkTcp(e: ResolvedEndpoint, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: e.address, port: e.port });
    const timer = setTimeout(
      () => socket.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = err.code ?? 'error';
      const hint =
        code === 'ECONNREFUSED'
          ? 'nothing is listening there. Is the server running, and on this port?'
          : code === 'ETIMEDOUT'
            ? `no answer within ${timeoutMs / 1000} s. Is the address right and reachable from this host?`
            : 'check the --endpoints URL and the network.';
      reject(
        new EndpointUnreachableError(
          ErrorCode.endpointUnreachable,
          `${e.displayUrl}: cannot connect (${code}): ${hint}`,
        ),
      );
    });
  });
}

/** Resolve all endpoints and check each distinct destination once. */
export async function preflight(endpoints: Endpoint[]): Promise<ResolvedEndpoint[]> {
  const resolved = await Promise.all(endpoints.map(resolveEndpoint));
  const seen = new Map<string, ResolvedEndpoint>();
  for (const e of resolved) seen.set(destinationKey(e), e);
  await Promise.all([...seen.values()].map((e) => checkTcp(e)));
  return resolved;
}

export function destinationKey(e: ResolvedEndpoint): string {
  return `${e.address}|${e.port}`;
}
