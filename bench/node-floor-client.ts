/**
 * The floor for any Node.js client: C keep-alive `net` sockets, each writing one fixed request and
 * reading its response to the end (Content-Length), in a loop, for a fixed time. It decodes nothing,
 * timestamps nothing and keeps no records — so no Node client that does one socket write and reads a
 * response per request can beat it on one core. `client-throughput.ts` runs it beside wrk and h2load
 * to separate what Node's I/O costs from what llm-loadgen's measurement costs. It reads the way
 * llm-loadgen does, into one shared buffer (`onread`), the fastest read path Node has.
 *
 *   node --import tsx bench/node-floor-client.ts --url http://127.0.0.1:18202/v1/chat/completions [--body-file F] --conns 64 --duration 5
 * prints one JSON line: {"requests":N,"seconds":S,"rps":R,"cpu_us_per_request":U}
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { HEAD_END, contentLength } from './content-length.js';

function opt(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const url = new URL(opt('url', 'http://127.0.0.1:18202/v1/chat/completions'));
const conns = Number(opt('conns', '64'));
const durationMs = Number(opt('duration', '5')) * 1000;
const bodyFile = opt('body-file', '');
const body =
  bodyFile !== ''
    ? readFileSync(bodyFile, 'utf8')
    : JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'hello' }], stream: true });
const request = Buffer.from(
  `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
);
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

let completed = 0;
let stopping = false;
const started = process.hrtime.bigint();
const cpuStart = process.cpuUsage();

/** Bytes of the response still to come; -1 while the head is incomplete. */
function startConnection(): void {
  const socket = net.connect({
    port: Number(url.port),
    host: url.hostname,
    onread: {
      buffer: SHARED_READ_BUFFER,
      callback: (n: number, b: Uint8Array) => {
        onChunk((b as Buffer).subarray(0, n));
        return true;
      },
    },
  });
  socket.setNoDelay(true);
  let remaining = -1;
  let head: Buffer | null = null;
  socket.on('connect', () => socket.write(request));
  function onChunk(chunk: Buffer): void {
    let buf = chunk;
    while (buf.length > 0) {
      if (remaining < 0) {
        // The head is parsed where it lies; only a head split across reads is copied.
        const h = head === null ? buf : Buffer.concat([head, buf]);
        const end = h.indexOf(HEAD_END);
        if (end < 0) {
          head = Buffer.from(h);
          return;
        }
        remaining = contentLength(h, end);
        buf = h.subarray(end + 4);
        head = null;
      }
      const take = Math.min(remaining, buf.length);
      remaining -= take;
      buf = buf.subarray(take);
      if (remaining === 0) {
        completed++;
        remaining = -1;
        if (stopping) {
          socket.destroy();
          return;
        }
        socket.write(request);
      }
    }
  }
  socket.on('error', (e) => {
    process.stderr.write(`node-floor: ${e.message}\n`);
    process.exit(1);
  });
}

for (let i = 0; i < conns; i++) startConnection();
setTimeout(() => {
  stopping = true;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const n = completed;
  console.log(
    JSON.stringify({ requests: n, seconds, rps: n / seconds, cpu_us_per_request: (cpu.user + cpu.system) / n }),
  );
  process.exit(0);
}, durationMs);
