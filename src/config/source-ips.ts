/**
 * `--source-ips`: the local addresses new connections are bound to, round-robin. Cleaned
 * strictly, because a blank entry would bind to INADDR_ANY and a foreign one fails every connect.
 */
import net from 'node:net';
import { BadInputError, ErrorCode } from '../errors.js';

/** Trim, drop blanks, remove duplicates; refuse anything that is not an IP address. */
export function cleanSourceIps(raw: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const entry of raw.flatMap((r) => r.split(','))) {
    const ip = entry.trim();
    if (ip === '') continue;
    if (net.isIP(ip) === 0) {
      throw new BadInputError(
        ErrorCode.sourceIpInvalid,
        `--source-ips: "${ip}" is not an IP address. Give local addresses such as 127.0.0.2,127.0.0.3`,
      );
    }
    if (ip === '0.0.0.0' || ip === '::') {
      throw new BadInputError(
        ErrorCode.sourceIpInvalid,
        `--source-ips: "${ip}" is the wildcard address, not a source IP. Leave --source-ips empty to let the OS choose`,
      );
    }
    // Normalise so that 127.0.0.2 and ::ffff:127.0.0.2-style duplicates are caught by text.
    const key = ip.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(ip);
  }
  return out;
}

/** Is `ip` an address of this host? Binding a listener to it is the definitive test. */
function isLocal(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: ip, port: 0, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Refuse, before any traffic, a source IP that is not local or whose family cannot reach the endpoints. */
export async function checkSourceIps(ips: readonly string[], destinationFamilies: ReadonlySet<4 | 6>): Promise<void> {
  for (const ip of ips) {
    const family = net.isIP(ip) as 4 | 6;
    if (!destinationFamilies.has(family)) {
      throw new BadInputError(
        ErrorCode.sourceIpFamily,
        `--source-ips: ${ip} is IPv${family} but the endpoints resolve to IPv${[...destinationFamilies].join('/IPv')}: it could not reach them`,
      );
    }
    if (!(await isLocal(ip))) {
      throw new BadInputError(
        ErrorCode.sourceIpNotLocal,
        `--source-ips: ${ip} is not an address of this host. Add it to an interface first (on Linux all of 127.0.0.0/8 is local), or remove it`,
      );
    }
  }
}
