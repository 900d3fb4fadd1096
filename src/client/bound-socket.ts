/**
 * Sockets bound to a source IP with IP_BIND_ADDRESS_NO_PORT (Linux), through the small native
 * addon in native/ (built by node-gyp at install). When the addon is missing — not Linux, no
 * compiler — callers fall back to Node's plain `localAddress` bind, and the connection budget
 * says so (R × S instead of R × S × D).
 */
import net from 'node:net';
import { nativeAddon } from '../native/addon.js';

/** True when bound sockets get IP_BIND_ADDRESS_NO_PORT (the R × S × D budget). */
export function bindNoPortAvailable(): boolean {
  return nativeAddon() !== null;
}

/**
 * A socket bound to `sourceIp` (port picked at connect time) and connecting to host:port.
 * Errors (EADDRNOTAVAIL included) arrive as the socket's 'error' event, like any connect error.
 */
export function connectBoundNoPort(sourceIp: string, host: string, port: number, onread?: net.OnReadOpts): net.Socket {
  const a = nativeAddon();
  if (a === null) throw new Error('the native addon (IP_BIND_ADDRESS_NO_PORT) is not available');
  let fd: number;
  try {
    fd = a.boundSocket(sourceIp);
  } catch (err) {
    const socket = new net.Socket({ onread } as net.SocketConstructorOpts);
    process.nextTick(() => socket.destroy(err as Error));
    return socket;
  }
  let socket: net.Socket;
  try {
    // manualStart: do not read before the socket is connected.
    socket = new net.Socket({ fd, manualStart: true, onread } as net.SocketConstructorOpts & {
      manualStart: boolean;
    });
  } catch (err) {
    // Node refused the descriptor: close it here, or every such connect would leak one fd.
    a.closeFd(fd);
    const failed = new net.Socket({ onread } as net.SocketConstructorOpts);
    process.nextTick(() => failed.destroy(err as Error));
    return failed;
  }
  socket.setNoDelay(true);
  socket.connect({ host, port });
  return socket;
}
