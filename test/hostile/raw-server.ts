/**
 * A raw TCP server on 127.0.0.1 (port 0) that parses HTTP/1.1 requests (keep-alive, Content-Length
 * bodies) and hands each one to a handler that writes whatever bytes it likes: the misbehaving
 * half of every hostile-server case. It counts what it received and what it broke, so a test can
 * compare the client's issued/failed counts with the server's received/broken counts.
 */
import net from 'node:net';

export interface RawRequest {
  socket: net.Socket;
  /** Index of the connection (accept order). */
  connIndex: number;
  /** Index of this request on its connection (0 = first). */
  onConn: number;
  /** Index over all requests the server received. */
  index: number;
  head: string;
  body: string;
}

export interface RawServer {
  port: number;
  url: string;
  connections(): number;
  /** Complete requests received (head and body). */
  requests(): number;
  /** Requests the handler deliberately broke (reset, cut, never answered): counted by the handler via `broke()`. */
  broken(): number;
  broke(): void;
  /** Heads of every request, in arrival order. */
  heads: string[];
  /** setTimeout that is cleared when the server closes. */
  later(ms: number, fn: () => void): void;
  /** True once close() was called: long-running writers stop. */
  readonly closed: boolean;
  close(): Promise<void>;
}

export type RawHandler = (r: RawRequest, server: RawServer) => void;

export async function rawServer(
  handler: RawHandler,
  onConnect?: (socket: net.Socket, server: RawServer) => void,
): Promise<RawServer> {
  let connections = 0;
  let requests = 0;
  let broken = 0;
  let closed = false;
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const heads: string[] = [];
  const server = net.createServer((socket) => {
    const connIndex = connections++;
    let onConn = 0;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnect?.(socket, self);
    let buf: Buffer = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      for (let guard = 0; guard < 1000; guard++) {
        const he = buf.indexOf('\r\n\r\n');
        if (he < 0) return;
        const head = buf.toString('latin1', 0, he);
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        const len = m === null ? 0 : Number(m[1]);
        if (buf.length < he + 4 + len) return;
        const body = buf.toString('utf8', he + 4, he + 4 + len);
        buf = buf.subarray(he + 4 + len);
        heads.push(head);
        handler({ socket, connIndex, onConn: onConn++, index: requests++, head, body }, self);
        if (socket.destroyed) return;
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const self: RawServer = {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    requests: () => requests,
    broken: () => broken,
    broke: () => void broken++,
    heads,
    later(ms, fn) {
      if (closed) return;
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    },
    get closed() {
      return closed;
    },
    close: () =>
      new Promise<void>((r) => {
        closed = true;
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  return self;
}

export function write(socket: net.Socket, data: string | Buffer): void {
  if (!socket.destroyed) socket.write(data);
}

/**
 * Write `total` bytes made of `piece` repeated (the last one cut), respecting back-pressure, so the
 * server holds one piece however large the body; stops when the socket or the server closes.
 * `total` = Infinity writes until then. Calls `done` after the last byte.
 */
export function writeRepeated(
  server: RawServer,
  socket: net.Socket,
  piece: Buffer,
  total: number,
  done?: () => void,
): void {
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      if (socket.destroyed || server.closed) return;
      const n = Math.min(left, piece.length);
      left -= n;
      if (!socket.write(n === piece.length ? piece : piece.subarray(0, n))) {
        socket.once('drain', pump);
        return;
      }
    }
    done?.();
  };
  pump();
}

/** Write `parts` one per `gapMs` (0 = one per setImmediate), so the client sees them in separate reads. */
export function writeParts(server: RawServer, socket: net.Socket, parts: (string | Buffer)[], gapMs: number): void {
  const next = (k: number): void => {
    if (k >= parts.length || socket.destroyed || server.closed) return;
    socket.write(parts[k]);
    if (gapMs > 0) server.later(gapMs, () => next(k + 1));
    else setImmediate(() => next(k + 1));
  };
  next(0);
}
