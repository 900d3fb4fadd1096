/**
 * Run by connection-reuse.test.ts (in a child process when it needs LLM_LOADGEN_NO_ADDON=1): a
 * server that resets each connection while it idles, and a client that sends its next request in
 * the same event-loop turn as that reset, before Node has read it. Prints one JSON line.
 */
import type net from 'node:net';
import { BufferBudget, defaultBufferBudget } from '../../src/api/buffer-budget.js';
import { DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_RESPONSE_BYTES } from '../../src/api/response-limits.js';
import { parseEndpoint } from '../../src/api/endpoint.js';
import { buildHeadPrefix, buildRequestTail } from '../../src/api/openai-request.js';
import { ConnectionPool } from '../../src/client/connection-pool.js';
import { Connector } from '../../src/client/connector.js';
import { RequestExchange } from '../../src/client/request-exchange.js';
import { nativeAddon } from '../../src/native/addon.js';
import { monotonicNs } from '../../src/record/clock.js';
import type { RequestRecord } from '../../src/record/request-record.js';
import { jsonAnswer, rawServer } from './raw-shard.js';

const N = 6;
const IDLE_MS = 20;

export interface IdleResetResult {
  peek: boolean;
  serverRequests: number;
  errors: string[];
  retries: number[];
  poolRetries: number;
  serverCloses: number;
}

export async function runIdleReset(): Promise<IdleResetResult> {
  const timers = new Set<NodeJS.Timeout>();
  let lastSocket: net.Socket | null = null;
  const server = await rawServer((r) => {
    r.socket.write(jsonAnswer());
    lastSocket = r.socket;
  });
  const endpoint = parseEndpoint(`http://127.0.0.1:${server.port}`, 'chat');
  const pool = new ConnectionPool({
    target: { address: '127.0.0.1', port: server.port, tls: false, servername: '127.0.0.1', insecure: false },
    connector: new Connector([]),
    maxConnections: 1,
    maxConcurrentConnects: 1,
    maxIdleMs: 0,
    connectTimeoutMs: 5000,
  });
  const request = Buffer.concat([
    buildHeadPrefix(endpoint, false, undefined),
    buildRequestTail({ prompt: 'hi' }, { apiType: 'chat', model: 'm', streaming: false, maxOutputTokens: 4 }),
  ]);
  const records: RequestRecord[] = [];
  const budget = new BufferBudget(defaultBufferBudget(DEFAULT_MAX_RESPONSE_BYTES));
  await new Promise<void>((done) => {
    const start = (id: number): void => {
      const record = newRecord(id);
      const ex = new RequestExchange(
        {
          pool,
          endpointName: endpoint.displayUrl,
          captureText: false,
          maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
          maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
          budget,
          onFinished: () => {
            records.push(record);
            if (id + 1 < N) {
              // The reset and the next request in one callback: the RST is in the client's kernel
              // (loopback delivers it inside the server's close) but Node has not read it.
              const t = setTimeout(() => {
                lastSocket?.resetAndDestroy();
                start(id + 1);
              }, IDLE_MS);
              timers.add(t);
            } else done();
          },
        },
        request,
        record,
      );
      ex.start();
    };
    start(0);
  });
  pool.close();
  for (const t of timers) clearTimeout(t);
  await server.close();
  return {
    peek: nativeAddon() !== null,
    serverRequests: server.requests(),
    errors: records.map((r) => r.error),
    retries: records.map((r) => r.retries),
    poolRetries: pool.stats.retries,
    serverCloses: pool.stats.serverCloses,
  };
}

function newRecord(id: number): RequestRecord {
  return {
    id,
    sampleIndex: 0,
    shard: 0,
    endpoint: 0,
    sourceIp: '',
    streaming: false,
    reused: false,
    scheduled: monotonicNs(),
    dispatched: monotonicNs(),
    connectStart: NaN,
    connected: NaN,
    sent: NaN,
    headers: NaN,
    firstChunk: NaN,
    firstToken: NaN,
    end: NaN,
    chunkTimes: new Float64Array(0),
    status: 0,
    error: '',
    errorMessage: '',
    finishReason: '',
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: -1,
    retries: 0,
    tokenSource: 'none',
  };
}

if (process.argv[2] === 'run') {
  runIdleReset().then(
    (r) => console.log(JSON.stringify(r)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
