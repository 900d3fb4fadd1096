/**
 * OpenAI request bytes. The head is built once per endpoint (everything up to the
 * Content-Length value); the body and the rest of the head are built once per sample and reused
 * for every endpoint, so issuing a request is two buffer writes and no serialisation.
 */
import type { Sample } from '../dataset/sample.js';
import type { ApiType, Endpoint } from './endpoint.js';
import type { ExtraHeader } from './extra-headers.js';

export interface RequestOptions {
  apiType: ApiType;
  model: string;
  streaming: boolean;
  /** Cap on generated tokens when the sample does not set its own; undefined leaves it to the server. */
  maxOutputTokens?: number;
  /** Extra JSON fields merged into every body (e.g. temperature), from the config. */
  extraBody?: Record<string, unknown>;
}

/** `POST <path> HTTP/1.1` plus fixed and `--header` headers, ending in `Content-Length: ` (the value follows). */
export function buildHeadPrefix(
  endpoint: Endpoint,
  streaming: boolean,
  apiKey: string | undefined,
  extraHeaders: readonly ExtraHeader[] = [],
): Buffer {
  const lines = [
    `POST ${endpoint.path} HTTP/1.1`,
    `Host: ${endpoint.hostHeader}`,
    'User-Agent: llm-loadgen',
    'Content-Type: application/json',
    `Accept: ${streaming ? 'text/event-stream' : 'application/json'}`,
    // Compression would hold events back in the compressor (see api/content-encoding.ts).
    'Accept-Encoding: identity',
  ];
  // An Authorization given with --header replaces the key's.
  if (extraHeaders.some(([name]) => name.toLowerCase() === 'authorization')) {
    // sent below
  } else if (apiKey !== undefined && apiKey !== '') lines.push(`Authorization: Bearer ${apiKey}`);
  else if (endpoint.basicAuthorization !== undefined) lines.push(`Authorization: ${endpoint.basicAuthorization}`);
  for (const [name, value] of extraHeaders) lines.push(`${name}: ${value}`);
  lines.push('Content-Length: ');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** The JSON body of one request. */
export function buildBody(sample: Sample, options: RequestOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { model: options.model };
  if (options.apiType === 'chat') {
    body.messages = sample.messages ?? [{ role: 'user', content: sample.prompt }];
  } else {
    body.prompt = sample.prompt;
  }
  const maxTokens = sample.maxOutputTokens ?? options.maxOutputTokens;
  if (maxTokens !== undefined) body.max_tokens = maxTokens;
  if (options.extraBody !== undefined) Object.assign(body, options.extraBody);
  body.stream = options.streaming;
  // Ask for the server's token counts: without them output tokens fall back to counting chunks.
  if (options.streaming) body.stream_options = { include_usage: true };
  return body;
}

/** `<length>\r\n\r\n<body>`: everything after the head prefix, for one sample. */
export function buildRequestTail(sample: Sample, options: RequestOptions): Buffer {
  const body = Buffer.from(JSON.stringify(buildBody(sample, options)), 'utf8');
  const lengthLine = Buffer.from(`${body.length}\r\n\r\n`, 'latin1');
  return Buffer.concat([lengthLine, body]);
}
