/**
 * Opens sockets. With source IPs, each new connection binds the next one round-robin; without,
 * the OS picks the source address and port (no extra work on the hot path).
 */
import net from 'node:net';
import tls from 'node:tls';
import { bindNoPortAvailable, connectBoundNoPort } from './bound-socket.js';
import { sharedReadOption } from './http1-connection.js';
import { secureContextFor } from './tls-trust.js';

export interface ConnectTarget {
  /** Resolved IP address to connect to. */
  address: string;
  port: number;
  tls: boolean;
  /** Host name for TLS SNI. */
  servername: string;
  /** Accept any TLS certificate (self-signed test servers). */
  insecure: boolean;
  /** PEM of a CA trusted besides the system roots (--ca-file). */
  ca?: string;
}

export class Connector {
  private next = 0;
  /** Bound sockets use IP_BIND_ADDRESS_NO_PORT (port chosen at connect, per destination). */
  readonly bindNoPort: boolean;

  constructor(private readonly sourceIps: readonly string[]) {
    this.bindNoPort = sourceIps.length > 0 && bindNoPortAvailable();
  }

  /**
   * Start a connection. Returns the socket, the source IP it is bound to ('' = OS choice), and
   * whether it reads into the shared read buffer (plain TCP) instead of emitting 'data' (TLS).
   */
  connect(target: ConnectTarget): { socket: net.Socket; sourceIp: string; sharedRead: boolean } {
    let sourceIp = '';
    if (this.sourceIps.length > 0) {
      sourceIp = this.sourceIps[this.next];
      this.next = (this.next + 1) % this.sourceIps.length;
    }
    const localAddress = sourceIp === '' ? undefined : sourceIp;
    if (localAddress !== undefined && this.bindNoPort) {
      const raw = connectBoundNoPort(
        localAddress,
        target.address,
        target.port,
        target.tls ? undefined : sharedReadOption,
      );
      const socket = target.tls
        ? tls.connect({
            socket: raw,
            // The name the certificate is checked against (no connect happens: the socket is given).
            host: target.servername,
            servername: sni(target),
            rejectUnauthorized: !target.insecure,
            secureContext: secureContextFor(target.ca),
            ALPNProtocols: ['http/1.1'],
          })
        : raw;
      return { socket, sourceIp, sharedRead: !target.tls };
    }
    const socket = target.tls
      ? tls.connect({
          host: target.address,
          port: target.port,
          localAddress,
          servername: sni(target),
          rejectUnauthorized: !target.insecure,
          secureContext: secureContextFor(target.ca),
          ALPNProtocols: ['http/1.1'],
          // tls.connect hands these options to net.connect, which honours localAddress.
        } as tls.ConnectionOptions & { localAddress?: string })
      : net.connect({ host: target.address, port: target.port, localAddress, noDelay: true, onread: sharedReadOption });
    return { socket, sourceIp, sharedRead: !target.tls };
  }
}

/** SNI must be a host name, never an IP literal. */
function sni(target: ConnectTarget): string | undefined {
  return net.isIP(target.servername) === 0 ? target.servername : undefined;
}
