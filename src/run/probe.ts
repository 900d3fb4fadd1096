/**
 * `probe`: a few sequential requests to check an endpoint before benchmarking it, with a plain
 * diagnosis of whatever is wrong. Runs one shard in-process (a probe is not a load test).
 */
import { parseEndpoints, type ApiType } from '../api/endpoint.js';
import { ExitCode } from '../errors.js';
import { NS_PER_MS, monotonicNs } from '../record/clock.js';
import { unpackRecords } from '../record/record-batch.js';
import type { RequestRecord } from '../record/request-record.js';
import { ShardRunner } from '../shard/shard-runner.js';
import type { ResolvedEndpoint } from '../shard/shard-plan.js';
import { preflight } from './preflight.js';
import { collectSecrets, excerpt, redact } from '../record/redact-secrets.js';

export interface ProbeOptions {
  endpoints: string[];
  model: string;
  apiType: ApiType;
  apiKey?: string;
  requests: number;
  streaming: boolean;
  maxOutputTokens: number;
  timeoutMs: number;
  prompt: string;
  insecure: boolean;
}

export interface ProbeResult {
  exitCode: number;
  records: RequestRecord[];
}

function ms(ns: number): string {
  return Number.isFinite(ns) ? `${(ns / NS_PER_MS).toFixed(1)} ms` : 'n/a';
}

/** What a failed request most likely means, and what to do. */
export function diagnose(r: RequestRecord, e: ResolvedEndpoint, apiType: ApiType): string {
  switch (r.error) {
    case 'http_status':
      if (r.status === 401 || r.status === 403)
        return `HTTP ${r.status}: the server wants credentials. Pass --api-key or set OPENAI_API_KEY.`;
      if (r.status === 404)
        return `HTTP 404: nothing at ${e.path}, or an unknown model. Check the base URL and --model${apiType === 'chat' ? ', or try --api-type completions' : ', or try --api-type chat'}.`;
      if (r.status === 400 || r.status === 422)
        return `HTTP ${r.status}: the server rejected the request. Check --model and --max-output-tokens. ${r.errorMessage}`;
      if (r.status >= 500) return `HTTP ${r.status}: the server failed. Check its logs. ${r.errorMessage}`;
      return r.errorMessage;
    case 'malformed_response':
    case 'malformed_sse':
      return `the server answered, but not in the OpenAI API format: ${r.errorMessage}. Is this the OpenAI-compatible port and path?`;
    case 'connection_reset':
      return `${r.errorMessage}. The server may have crashed or rejected the request; check its logs.`;
    case 'timeout':
      return `no complete answer in time. The server may be overloaded or still loading the model.`;
    default:
      return r.errorMessage;
  }
}

async function listModels(
  e: ResolvedEndpoint,
  apiKey: string | undefined,
  secrets: readonly string[],
): Promise<string[] | string> {
  const url = `${e.tls ? 'https' : 'http'}://${e.hostHeader}${e.basePath}/models`;
  try {
    const headers: Record<string, string> = {};
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    else if (e.basicAuthorization) headers.authorization = e.basicAuthorization;
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
    const body = await res.text();
    if (!res.ok) return `GET ${e.basePath}/models answered HTTP ${res.status}`;
    const parsed = JSON.parse(body) as { data?: { id?: unknown }[] };
    if (!Array.isArray(parsed.data))
      return `GET ${e.basePath}/models did not return an OpenAI model list: ${excerpt(redact(body, secrets), 80)}`;
    return parsed.data.map((m) => String(m.id));
  } catch (err) {
    return `GET ${e.basePath}/models failed: ${(err as Error).message}`;
  }
}

export async function probe(o: ProbeOptions, out: NodeJS.WritableStream): Promise<ProbeResult> {
  const endpoints = await preflight(parseEndpoints(o.endpoints, o.apiType), { insecure: o.insecure });
  // Whatever the server says is printed; it must not print the key back (some servers echo it).
  const secrets = collectSecrets(
    o.apiKey,
    endpoints.map((e) => e.basicAuthorization),
  );
  const write = (text: string): void => {
    out.write(redact(text, secrets));
  };
  const all: RequestRecord[] = [];
  let failures = 0;
  for (const e of endpoints) {
    write(
      `probing ${e.displayUrl} (POST ${e.path}, model ${o.model}, ${o.streaming ? 'streaming' : 'non-streaming'})\n`,
    );
    const models = await listModels(e, o.apiKey, secrets);
    if (typeof models === 'string') write(`  models: ${models}\n`);
    else {
      write(`  models served: ${models.join(', ') || '(none listed)'}\n`);
      if (models.length > 0 && !models.includes(o.model)) write(`  note: --model ${o.model} is not among them\n`);
    }
    const records: RequestRecord[] = [];
    const runner = new ShardRunner(
      {
        shardIndex: 0,
        shardCount: 1,
        endpoints: [e],
        apiKey: o.apiKey,
        request: { apiType: o.apiType, model: o.model, streaming: o.streaming, maxOutputTokens: o.maxOutputTokens },
        samples: [{ prompt: o.prompt }],
        samplesPartitioned: true,
        pattern: 'concurrency',
        qps: 0,
        concurrency: 1,
        maxRequests: o.requests,
        durationNs: Infinity,
        seed: 1,
        maxConnections: 1,
        maxConcurrentConnects: 1,
        maxIdleTimeMs: 4000,
        connectTimeoutMs: 10_000,
        requestTimeoutMs: o.timeoutMs,
        sourceIps: [],
        insecureTls: o.insecure,
        captureText: true,
      },
      { records: (b) => records.push(...unpackRecords(b)), progress: () => {} },
    );
    await runner.run(monotonicNs());
    records.sort((a, b) => a.id - b.id);
    for (const r of records) {
      if (r.error === '') {
        const ttft = o.streaming ? `ttft ${ms(r.firstToken - r.sent)}, ` : '';
        write(
          `  request ${r.id + 1}: ok, HTTP ${r.status}, ${ttft}latency ${ms(r.end - r.sent)}, ${r.outputTokens} output tokens (${r.tokenSource}), finish ${r.finishReason || 'n/a'}\n`,
        );
      } else {
        failures++;
        write(`  request ${r.id + 1}: FAILED [${r.error}] ${diagnose(r, e, o.apiType)}\n`);
      }
    }
    const ok = records.find((r) => r.error === '' && r.text !== undefined);
    if (ok !== undefined) write(`  response preview: ${JSON.stringify(excerpt(ok.text ?? '', 200))}\n`);
    all.push(...records);
  }
  const succeeded = all.length - failures;
  write(`${succeeded} of ${all.length} requests succeeded\n`);
  return { exitCode: failures === 0 ? ExitCode.ok : ExitCode.runFailed, records: all };
}
