/**
 * Memory per open stream, measured two ways in one run against the same holding server:
 *   bare  N plain `net.connect` sockets, each with a request written and its first response
 *         bytes read (the least any Node client holds per connection);
 *   ours  a shard (ShardRunner, in-process) with N streaming requests in flight, every one with
 *         its response head and first SSE event received.
 * Each runs in a fresh process started with --expose-gc and the V8 options a shard holding many
 * streams gets (2 MB semi-spaces); RSS and V8 heap are read after a full GC
 * before the connections open and once all N are held, and divided by N. The server runs in its
 * own process so its memory is not counted.
 *
 *   node --import tsx bench/stream-memory.ts [--streams 10000]
 */
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
/** What a shard holding this many streams runs with (run/shard-handle.ts), given to both sides. */
const SHARD_V8_OPTIONS = ['--max-semi-space-size=2'];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const role = arg('role', 'main');
const streams = Number(arg('streams', '10000'));

const SSE_HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
const FIRST_EVENT =
  'data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":null}]}\n\n';

interface Usage {
  rssKb: number;
  heapKb: number;
  /** V8 heap committed (used or not). */
  heapTotalKb: number;
  externalKb: number;
}

function usage(): Usage {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return {
    rssKb: m.rss / 1024,
    heapKb: m.heapUsed / 1024,
    heapTotalKb: m.heapTotal / 1024,
    externalKb: (m.external + m.arrayBuffers) / 1024,
  };
}

function report(before: Usage, after: Usage, held: number): void {
  const per = (k: keyof Usage) => Number((((after[k] - before[k]) * 1024) / held).toFixed(0));
  process.send!({
    held,
    rssBytesPerStream: per('rssKb'),
    heapBytesPerStream: per('heapKb'),
    heapCommittedBytesPerStream: per('heapTotalKb'),
    externalBytesPerStream: per('externalKb'),
    rssMbAfter: Math.round(after.rssKb / 1024),
  });
}

/** Answers each request with an SSE head and one event, then holds the stream open. */
function serve(): void {
  let held = 0;
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      const event = `${FIRST_EVENT.length.toString(16)}\r\n${FIRST_EVENT}\r\n`;
      socket.write(SSE_HEAD + event);
      held++;
    });
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () =>
    process.send!({ port: (server.address() as net.AddressInfo).port }),
  );
  process.on('message', (m: { type: string }) => {
    if (m.type === 'held?') process.send!({ held });
    if (m.type === 'reset') held = 0;
  });
}

const ANSWERED = Symbol('answered');
type BareSocket = net.Socket & { [ANSWERED]?: true };

async function bare(port: number): Promise<void> {
  await new Promise((r) => setTimeout(r, 200));
  const before = usage();
  const sockets: net.Socket[] = [];
  const request =
    'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';
  const READ = Buffer.allocUnsafe(64 * 1024);
  let answered = 0;
  let inFlight = 0;
  let next = 0;
  await new Promise<void>((resolve) => {
    // Shared listeners (no closure per socket), as llm-loadgen does.
    function onRead(this: BareSocket): boolean {
      if (this[ANSWERED] === undefined) {
        this[ANSWERED] = true;
        if (++answered === streams) resolve();
      }
      return true;
    }
    function onConnect(this: net.Socket): void {
      inFlight--;
      this.write(request);
      open();
    }
    function onError(e: Error): void {
      process.stderr.write(`bare: ${e.message}\n`);
      process.exit(1);
    }
    const open = (): void => {
      while (inFlight < 128 && next < streams) {
        next++;
        inFlight++;
        const s = net.connect({ port, host: '127.0.0.1', onread: { buffer: READ, callback: onRead } });
        s.on('connect', onConnect);
        s.on('error', onError);
        sockets.push(s);
      }
    };
    open();
  });
  await new Promise((r) => setTimeout(r, 500));
  report(before, usage(), sockets.length);
  for (const s of sockets) s.destroy();
}

async function ours(port: number): Promise<void> {
  const { ShardRunner } = await import('../src/shard/shard-runner.js');
  const { monotonicNs } = await import('../src/record/clock.js');
  const samples = [{ prompt: 'hello' }];
  const runner = new ShardRunner(
    {
      shardIndex: 0,
      shardCount: 1,
      endpoints: [
        {
          displayUrl: `http://127.0.0.1:${port}`,
          tls: false,
          host: '127.0.0.1',
          port,
          hostHeader: `127.0.0.1:${port}`,
          path: '/v1/chat/completions',
          basePath: '/v1',
          address: '127.0.0.1',
        },
      ],
      request: { apiType: 'chat', model: 'm', streaming: true, maxOutputTokens: 16 },
      samples,
      samplesPartitioned: true,
      pattern: 'concurrency',
      qps: 0,
      concurrency: streams,
      maxRequests: streams,
      durationNs: Infinity,
      seed: 1,
      maxConnections: streams,
      maxConcurrentConnects: 128,
      maxIdleTimeMs: 600_000,
      connectTimeoutMs: 30_000,
      requestTimeoutMs: 600_000,
      sourceIps: [],
      insecureTls: false,
      captureText: false,
    },
    { records: () => {}, progress: () => {} },
  );
  await new Promise((r) => setTimeout(r, 200));
  const before = usage();
  void runner.run(monotonicNs());
  // Held = the server has answered every request (its count comes from the parent).
  await new Promise<void>((resolve) =>
    process.on('message', (m: { type: string }) => m.type === 'all-held' && resolve()),
  );
  await new Promise((r) => setTimeout(r, 500));
  report(before, usage(), streams);
  runner.abort();
}

function child(roleName: string, port: number): ChildProcess {
  return fork(self, ['--role', roleName, '--port', String(port), '--streams', String(streams)], {
    execArgv: ['--expose-gc', ...SHARD_V8_OPTIONS, '--import', 'tsx'],
  });
}

function message<T>(p: ChildProcess, pick: (m: Record<string, unknown>) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>): void => {
      if (pick(m)) {
        p.off('message', on);
        resolve(m as T);
      }
    };
    p.on('message', on);
  });
}

async function main(): Promise<void> {
  const server = fork(self, ['--role', 'server'], { execArgv: ['--import', 'tsx'] });
  const { port } = await message<{ port: number }>(server, (m) => 'port' in m);
  const held = async (): Promise<number> => {
    server.send({ type: 'held?' });
    return (await message<{ held: number }>(server, (m) => 'held' in m)).held;
  };
  const results: Record<string, unknown> = {};
  for (const kind of ['bare', 'ours']) {
    server.send({ type: 'reset' });
    const c = child(kind, port);
    if (kind === 'ours') {
      const deadline = Date.now() + 120_000;
      while ((await held()) < streams && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      c.send({ type: 'all-held' });
    }
    results[kind] = await message(c, (m) => 'held' in m);
    c.kill();
    await new Promise((r) => setTimeout(r, 1000));
  }
  server.kill();
  const b = results.bare as { rssBytesPerStream: number };
  const o = results.ours as { rssBytesPerStream: number };
  console.log(
    JSON.stringify(
      { streams, ...results, oursOverBareRss: Number((o.rssBytesPerStream / b.rssBytesPerStream).toFixed(2)) },
      null,
      1,
    ),
  );
}

switch (role) {
  case 'server':
    serve();
    break;
  case 'bare':
    await bare(Number(arg('port', '0')));
    break;
  case 'ours':
    await ours(Number(arg('port', '0')));
    break;
  default:
    await main();
}
