/**
 * One keep-alive HTTP/1.1 connection carrying one request at a time (no pipelining).
 *
 * Why our own HTTP/1.1 client instead of undici: the measurement needs the socket itself — the
 * time a connection was in hand and whether it was reused, the time the request was written, the
 * raw body bytes as they arrive — and the connection budget needs control of every connect (source
 * IP, pacing, EADDRNOTAVAIL as back-pressure). On this machine class an undici Pool loop also tops
 * out near half of wrk's request rate (issue 4's anchors), which would make the client the
 * bottleneck it must never be.
 */
import type net from 'node:net';
import { loadNativeAddon, nativeAddon } from '../native/addon.js';
import { monotonicNs } from '../record/clock.js';
import { Http1ResponseParser, HttpParseError, type ResponseSink } from './http1-response-parser.js';

/** The request currently using a connection. */
export interface ConnectionUser extends ResponseSink {
  /** The connection failed or closed before the response completed. */
  onConnectionLost(error: Error | null, responseBytes: number): void;
  /** The response could not be parsed as HTTP. */
  onProtocolError(error: HttpParseError): void;
}

export interface ConnectionOwner {
  /** The connect (and TLS handshake) completed. */
  onConnected(conn: Http1Connection): void;
  /** The connect failed; the socket is gone. */
  onConnectFailed(conn: Http1Connection, error: NodeJS.ErrnoException): void;
  /** An established connection's socket closed (for any reason); the owner forgets it. */
  onConnectionClosed(conn: Http1Connection): void;
}

/**
 * Socket listeners are shared functions that find their connection through this property, not
 * closures per socket: with 100k connections every per-socket closure and connect-time timer
 * shows up as RSS (measured: ~1.3 KB per connection).
 */
const CONNECTION = Symbol('llm-loadgen.connection');
type OwnedSocket = net.Socket & { [CONNECTION]: Http1Connection };

function onSocketConnect(this: OwnedSocket): void {
  this[CONNECTION].onConnect();
}
function onSocketData(this: OwnedSocket, buf: Buffer): void {
  this[CONNECTION].onData(buf);
}

/**
 * One read buffer for every plain-TCP socket of the process (Node's `onread` option): the kernel
 * copies each read into it and the callback parses it before the next read can happen, so no
 * Buffer is allocated per read and the readable-stream machinery is skipped. Measured with
 * bench/node-floor-client.ts on the 65-event SSE target: 29 → 22 µs of CPU per request. Everything
 * that keeps bytes past the callback copies them (parser head carry, SSE line carry, bodies).
 */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
function onSocketRead(this: OwnedSocket, nread: number, buf: Buffer): boolean {
  this[CONNECTION].onData(buf.subarray(0, nread));
  return true;
}
/** Pass as `onread` when creating a plain TCP socket (not TLS: its socket is read by the TLS layer). */
export const sharedReadOption = {
  buffer: SHARED_READ_BUFFER,
  callback: onSocketRead as (nread: number, buf: Buffer) => boolean,
};
/** The server's FIN. */
function onSocketEnd(this: OwnedSocket): void {
  this[CONNECTION].onEnd();
}
function onSocketError(this: OwnedSocket, err: Error): void {
  this[CONNECTION].onClose(err);
}
function onSocketClose(this: OwnedSocket): void {
  this[CONNECTION].onClose(null);
}

/** What peekSocket reports for a socket with nothing pending (native/bind_no_port.c). */
const PEEK_NOTHING = 0;

export class Http1Connection {
  readonly parser = new Http1ResponseParser();
  user: ConnectionUser | null = null;
  /** Requests this connection has carried so far. */
  requests = 0;
  /** Monotonic ms when it went idle (for idle eviction). */
  idleSinceMs = 0;
  closed = false;
  /** We closed it (eviction, not reusable, end of run): a close that is not the server's doing. */
  closedByClient = false;
  /** The socket's fd for peeking (plain TCP on Linux with the addon), else -1. */
  private fd = -1;
  /** When the socket read being handled arrived: taken before any parsing, shared by everything in it. */
  readNs = 0;

  /** True until the connect (and TLS handshake) completes. */
  connecting = true;
  /** Monotonic ms when the connect started (for the connect timeout). */
  readonly connectStartMs = performance.now();
  /** The same instant on the records' clock (RequestRecord.connectStart). */
  readonly connectStartNs = monotonicNs();

  /**
   * Wraps a socket that is connecting; `connectEvent` is 'connect', or 'secureConnect' for TLS.
   * `sharedRead`: the socket was created with `sharedReadOption` (its bytes never arrive as 'data').
   */
  constructor(
    readonly socket: net.Socket,
    readonly sourceIp: string,
    private readonly owner: ConnectionOwner,
    connectEvent: 'connect' | 'secureConnect',
    private readonly sharedRead: boolean,
  ) {
    (socket as OwnedSocket)[CONNECTION] = this;
    socket.once(connectEvent, onSocketConnect);
    if (!this.sharedRead) socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  onConnect(): void {
    if (this.closed) return;
    this.connecting = false;
    // Plain TCP only: a TLS socket's fd belongs to the TLS layer.
    if (nativeAddon() !== null && this.sharedRead) {
      const fd = (this.socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
      if (typeof fd === 'number') this.fd = fd;
    }
    this.owner.onConnected(this);
  }

  /** Write a whole request (one buffer: one write syscall) and expect its response. */
  send(user: ConnectionUser, request: Buffer): void {
    this.user = user;
    this.requests++;
    this.parser.reset(user);
    this.socket.write(request);
  }

  /** Fresh, or the last response completed and the server keeps the connection alive. */
  get reusable(): boolean {
    return !this.closed && this.trusted && (this.requests === 0 || (this.parser.done && this.parser.head.keepAlive));
  }

  /** False once an answer on it could not be read as what its framing said (see distrust). */
  private trusted = true;

  /**
   * Never reuse this connection: a 2xx body that is not the answer its framing announced (a
   * Content-Length that cut it short) leaves the rest of it on the wire, where it would be read
   * as the next request's response.
   */
  distrust(): void {
    this.trusted = false;
  }

  destroy(): void {
    if (this.closed) return;
    this.closedByClient = true;
    this.socket.destroy();
  }

  /**
   * Before an open connection carries another request: false when the kernel already holds the
   * server's FIN, a reset, or bytes nobody asked for. Node reads a FIN only in an event-loop turn
   * after the read that completed the response, so a connection handed on in the same turn (the
   * next request is issued from the last one's completion) looks alive to JS alone: against a
   * server that closes after every response, that wrote most requests onto closed connections.
   * One recv(MSG_PEEK) per reuse (plain TCP with the addon; TLS and no addon rely on 'end'):
   * 0.77–1.0 µs per call on this 2-core Xeon (1M calls, pinned), and no latency. End to end
   * (concurrency 64, 40k JSON requests, shard on its own core, 8 alternating pairs on a noisy
   * machine) the shard's CPU with/without the peek: median pair ratio 1.05 (0.81–1.38). Chosen over handing a released connection on only after the next poll (what would
   * let Node read the FIN itself): that costs every reuse a loop iteration of waiting, and a
   * setImmediate alone is not enough — it runs before the next poll, so Node has not read the FIN.
   * A FIN still in flight is caught by neither; the pool's close-after-response rule handles that.
   */
  /** The kernel's socket state can be peeked (stillOpen sees a FIN Node has not read). */
  get canPeek(): boolean {
    return this.fd >= 0;
  }

  stillOpen(): boolean {
    if (this.closed) return false;
    // fd >= 0 only when the addon was on at connect: it is loaded (the switch may be off by now).
    return this.fd < 0 || loadNativeAddon()!.peekSocket(this.fd) === PEEK_NOTHING;
  }

  /**
   * The server's FIN. A half-closed connection is never reused: Node would end our side only a
   * turn later, and a request written in between goes to a server that has stopped reading.
   */
  onEnd(): void {
    if (this.closed) return;
    this.onClose(null);
    this.socket.destroy();
  }

  onData(buf: Buffer): void {
    this.readNs = monotonicNs();
    const user = this.user;
    if (user === null) {
      // Bytes while idle: the server is confused or closing; this connection cannot be trusted.
      this.socket.destroy();
      return;
    }
    try {
      this.parser.execute(buf);
    } catch (err) {
      // A parse error — or a bug in a decoder below — ends this request, never the shard.
      this.user = null;
      this.socket.destroy();
      user.onProtocolError(
        err instanceof HttpParseError ? err : new HttpParseError(`response handling failed: ${(err as Error).message}`),
      );
    }
  }

  /** The socket closed (FIN, reset, error, or our own destroy). */
  onClose(err: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    if (err !== null) this.socket.destroy();
    if (this.connecting) {
      this.connecting = false;
      this.owner.onConnectFailed(
        this,
        (err ??
          Object.assign(new Error('socket closed while connecting'), { code: 'ECONNRESET' })) as NodeJS.ErrnoException,
      );
      return;
    }
    const user = this.user;
    this.user = null;
    if (user !== null && !this.parser.done) {
      // A close-delimited body ends at a clean close; a reset, or anything else, is a lost response.
      if (err === null && this.parser.bytesReceived > 0 && this.parser.readsUntilClose) {
        this.user = user;
        this.parser.finishOnClose();
        this.user = null;
      } else {
        user.onConnectionLost(err, this.parser.bytesReceived);
      }
    }
    this.owner.onConnectionClosed(this);
  }
}
