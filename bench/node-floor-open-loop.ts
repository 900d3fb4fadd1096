/**
 * The floor for any open-loop Node.js client: C warm keep-alive `net` sockets; at each Poisson
 * send time (one setTimeout to the next, everything due sent in that turn) a free socket writes one
 * fixed request and reads its response to its Content-Length (into one shared buffer). Nothing is
 * decoded, timestamped or recorded. What it costs per request at a low rate is what waking Node up
 * for every request costs on this machine: llm-loadgen's open loop cannot go below it.
 *
 *   taskset -c 1 node --import tsx bench/node-floor-open-loop.ts --url http://127.0.0.1:18311/v1/chat/completions --rate 200 --duration 10 [--conns 64] [--body-file F]
 * prints one JSON line: {"requests":N,"seconds":S,"rps":R,"cpu_us_per_request":U}
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { HEAD_END, contentLength } from './content-length.js';

function opt(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const url = new URL(opt('url', 'http://127.0.0.1:18311/v1/chat/completions'));
const conns = Number(opt('conns', '64'));
const rate = Number(opt('rate', '200'));
const durationNs = Number(opt('duration', '10')) * 1e9;
const bodyFile = opt('body-file', '');
const body =
  bodyFile !== ''
    ? readFileSync(bodyFile, 'utf8')
    : JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 64 });
const request = Buffer.from(
  `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
);
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const now = () => Number(process.hrtime.bigint());

let completed = 0;
let sent = 0;
const free: net.Socket[] = [];
let backlog = 0;

function connect(): Promise<void> {
  return new Promise((resolve, reject) => {
    let remaining = -1;
    let head: Buffer | null = null;
    const socket: net.Socket = net.connect({
      port: Number(url.port),
      host: url.hostname,
      onread: {
        buffer: SHARED_READ_BUFFER,
        callback: (n: number, b: Uint8Array) => {
          let buf = (b as Buffer).subarray(0, n);
          while (buf.length > 0) {
            if (remaining < 0) {
              const h = head === null ? buf : Buffer.concat([head, buf]);
              const end = h.indexOf(HEAD_END);
              if (end < 0) {
                head = Buffer.from(h);
                return true;
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
              if (backlog > 0) {
                backlog--;
                socket.write(request);
              } else free.push(socket);
            }
          }
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    socket.on('connect', () => {
      free.push(socket);
      resolve();
    });
    socket.on('error', reject);
  });
}

function send(): void {
  sent++;
  const s = free.pop();
  if (s === undefined) backlog++;
  else s.write(request);
}

/** Exponential gaps from a fixed-seed LCG: the same schedule every run. */
let seed = 12345;
function gapNs(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return (-Math.log(1 - seed / 2147483648) / rate) * 1e9;
}

async function main(): Promise<void> {
  await Promise.all(Array.from({ length: conns }, connect));
  const cpu0 = process.cpuUsage();
  const start = now();
  let next = start + gapNs();
  const end = start + durationNs;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      while (next <= t && next <= end) {
        send();
        next += gapNs();
      }
      if (next > end) resolve();
      else setTimeout(tick, Math.max(1, Math.ceil((next - now()) / 1e6)));
    };
    tick();
  });
  while (completed < sent) await new Promise((r) => setImmediate(r));
  const cpu = process.cpuUsage(cpu0);
  const seconds = (now() - start) / 1e9;
  console.log(
    JSON.stringify({
      requests: completed,
      seconds,
      rps: completed / seconds,
      cpu_us_per_request: (cpu.user + cpu.system) / completed,
    }),
  );
  process.exit(0);
}

void main();
