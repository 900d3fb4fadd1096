/**
 * Before any load: resolve every endpoint once and check it accepts TCP connections, so an
 * unreachable server is one clear error (exit 3) instead of thousands of failed requests.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { Endpoint } from '../api/endpoint.js';
import { readCaFile, secureContextFor, tlsAdvice } from '../client/tls-trust.js';
import { checkSourceIps } from '../config/source-ips.js';
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

/** How the preflight connects: as the run will (source IPs, TLS trust). */
export interface PreflightOptions {
  sourceIps?: readonly string[];
  /** Accept any TLS certificate. */
  insecure?: boolean;
  /** --ca-file: read and checked here (exit 2 naming the flag) before anything connects. */
  caFile?: string;
}

/**
 * Open (and close) one connection — a TLS handshake too for https, verified as the run will
 * verify it — from `sourceIp` when given (a run with --source-ips makes no connection from any
 * other address). Throws EndpointUnreachableError with a diagnosis.
 */
export function checkTcp(
  e: ResolvedEndpoint,
  timeoutMs = 5000,
  sourceIp?: string,
  trust: { insecure: boolean; ca?: string } = { insecure: false },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = e.tls
      ? tls.connect({
          host: e.address,
          port: e.port,
          localAddress: sourceIp,
          servername: net.isIP(e.host) === 0 ? e.host : undefined,
          rejectUnauthorized: !trust.insecure,
          secureContext: secureContextFor(trust.ca),
          ALPNProtocols: ['http/1.1'],
        } as tls.ConnectionOptions & { localAddress?: string })
      : net.connect({ host: e.address, port: e.port, localAddress: sourceIp });
    const timer = setTimeout(
      () => socket.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    socket.once(e.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = err.code ?? 'error';
      const advice = tlsAdvice(code);
      if (advice !== '') {
        reject(
          new EndpointUnreachableError(
            ErrorCode.endpointTlsUntrusted,
            `${e.displayUrl}: TLS certificate refused (${code}: ${err.message}): ${advice}`,
          ),
        );
        return;
      }
      const hint =
        code === 'ECONNREFUSED'
          ? 'nothing is listening there. Is the server running, and on this port?'
          : code === 'ETIMEDOUT'
            ? `no answer within ${timeoutMs / 1000} s. Is the address right and reachable from this host?`
            : 'check the --endpoints URL and the network.';
      reject(
        new EndpointUnreachableError(
          ErrorCode.endpointUnreachable,
          `${e.displayUrl}: cannot connect${sourceIp === undefined ? '' : ` from --source-ips ${sourceIp}`} (${code}): ${hint}`,
        ),
      );
    });
  });
}

/**
 * Resolve all endpoints, check the source IPs (local, right family) and the CA file, and check
 * each distinct destination once — from every source IP of its family when there are source IPs, so one that
 * cannot reach it is named before the run.
 */
export async function preflight(endpoints: Endpoint[], options: PreflightOptions = {}): Promise<ResolvedEndpoint[]> {
  const sourceIps = options.sourceIps ?? [];
  const trust = {
    insecure: options.insecure ?? false,
    ca: options.caFile === undefined ? undefined : readCaFile(options.caFile),
  };
  const resolved = await Promise.all(endpoints.map(resolveEndpoint));
  const family = (ip: string): 4 | 6 => (net.isIP(ip) === 6 ? 6 : 4);
  if (sourceIps.length > 0) await checkSourceIps(sourceIps, new Set(resolved.map((e) => family(e.address))));
  const seen = new Map<string, ResolvedEndpoint>();
  for (const e of resolved) seen.set(destinationKey(e), e);
  await Promise.all(
    [...seen.values()].flatMap((e) => {
      const from = sourceIps.filter((ip) => family(ip) === family(e.address));
      return from.length === 0 ? [checkTcp(e, 5000, undefined, trust)] : from.map((ip) => checkTcp(e, 5000, ip, trust));
    }),
  );
  return resolved;
}

export function destinationKey(e: ResolvedEndpoint): string {
  return `${e.address}|${e.port}`;
}
