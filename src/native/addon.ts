/**
 * The optional native addon (native/, built by node-gyp during `npm install`): IP_BIND_ADDRESS_NO_PORT
 * sockets for the connection budget, the per-read SSE scanner and the response-head parser. Everything that uses it has a
 * JS fallback; `LLM_LOADGEN_NO_ADDON=1` forces the fallbacks.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeAddon {
  boundSocket(ip: string): number;
  closeFd(fd: number): void;
  /** A socket's pending state without reading it: 0 nothing, 1 bytes, 2 FIN, 3 error (native/bind_no_port.c). */
  peekSocket(fd: number): number;
  /** Scans clean `data: {json}\n\n` events in buf[start, end); returns the offset after the last one. */
  scanSse(buf: Buffer, start: number, end: number, out: Int32Array): number;
  /** Scans one whole JSON body in buf[start, end): 1 token, 0 none, -1 needs the JS path; out[0] = has a top-level choices array. */
  scanJson(buf: Buffer, start: number, end: number, out: Int32Array): number;
  /** Status line and the used headers of head bytes buf[start, end): status, -1 not HTTP/1.x, -2 bad Content-Length (see native/http_head.c). */
  parseHead(buf: Buffer, start: number, end: number, out: Float64Array): number;
}

let addon: NativeAddon | null | undefined;

export function nativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.platform !== 'linux' || process.env.LLM_LOADGEN_NO_ADDON === '1') return addon;
  // src/native/ and dist/native/ are both two levels below the package root.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  try {
    addon = createRequire(import.meta.url)(path.join(root, 'build', 'Release', 'bind_no_port.node')) as NativeAddon;
  } catch {
    addon = null;
  }
  return addon;
}
