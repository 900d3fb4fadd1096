/**
 * Which machine a host of a multi-host run was, for the merge's host table: its hostname and the
 * source addresses its connections left from. With --source-ips those are the addresses the
 * connections bind (round-robin over all of them); without, the kernel picks the source address
 * from the route to the endpoint, the same for every connection to it. That choice is read with a
 * connected UDP socket to the endpoint's address (the same route lookup as TCP connect, and no
 * packet is sent), so the endpoint sees no extra connection.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import type { ResolvedEndpoint } from '../shard/shard-plan.js';

/** The address the kernel gives a connection to `address:port` (null when there is no route). */
export function routeSourceAddress(address: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    const done = (v: string | null) => {
      socket.close();
      resolve(v);
    };
    socket.once('error', () => done(null));
    socket.connect(port, address, () => {
      try {
        done(socket.address().address);
      } catch {
        done(null);
      }
    });
  });
}

/** This host's source addresses towards the run's endpoints, sorted, each once. */
export async function hostSourceAddresses(
  endpoints: readonly Pick<ResolvedEndpoint, 'address' | 'port'>[],
  sourceIps: readonly string[],
): Promise<string[]> {
  if (sourceIps.length > 0) return [...new Set(sourceIps)].sort();
  const found = await Promise.all(endpoints.map((e) => routeSourceAddress(e.address, e.port)));
  return [...new Set(found.filter((a): a is string => a !== null))].sort();
}

export function hostName(): string {
  return os.hostname();
}
