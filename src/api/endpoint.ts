/**
 * An endpoint is a base URL the user gave (`--endpoints`), resolved into what the client needs:
 * where to connect, what Host header to send, and the path of the API being benchmarked.
 * Credentials in the URL are taken out here and never appear in anything we print or store.
 */
import { BadInputError, ErrorCode } from '../errors.js';

export type ApiType = 'chat' | 'completions';

export interface Endpoint {
  /** The URL as shown to users: credentials removed. */
  displayUrl: string;
  tls: boolean;
  host: string;
  port: number;
  /** Value of the Host header. */
  hostHeader: string;
  /** Request path for the API, e.g. /v1/chat/completions. */
  path: string;
  /** Base path (without the API suffix) for other routes such as /v1/models. */
  basePath: string;
  /** `Basic ...` from URL credentials, if any (a secret: never print it). */
  basicAuthorization?: string;
}

const FULL_API_PATH = /\/(chat\/)?completions$/;

const API_SUFFIX: Record<ApiType, string> = {
  chat: '/chat/completions',
  completions: '/completions',
};

/**
 * Parse one `--endpoints` entry. Accepts `http(s)://host[:port][/base]` or a schemeless
 * `host:port`. The API path is appended: `/v1` + suffix unless the base already ends with `/v1`
 * (then only the suffix), and kept as is when it already ends with the API suffix.
 */
export function parseEndpoint(raw: string, apiType: ApiType): Endpoint {
  const text = raw.trim();
  if (text === '')
    throw new BadInputError(
      ErrorCode.endpointEmpty,
      '--endpoints: an entry is empty. Give base URLs like http://127.0.0.1:8000',
    );
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new BadInputError(
      ErrorCode.endpointInvalid,
      `--endpoints: "${redactUrlText(text)}" is not a URL. Give base URLs like http://127.0.0.1:8000`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BadInputError(
      ErrorCode.endpointScheme,
      `--endpoints: "${redactUrlText(text)}" uses ${url.protocol} — only http:// and https:// are supported`,
    );
  }
  const tls = url.protocol === 'https:';
  const port = url.port === '' ? (tls ? 443 : 80) : Number(url.port);
  // URL keeps IPv6 hosts in brackets; sockets want them bare.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let basicAuthorization: string | undefined;
  if (url.username !== '' || url.password !== '') {
    const user = decodeUserinfo(url.username);
    const pass = decodeUserinfo(url.password);
    basicAuthorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  let base = url.pathname.replace(/\/+$/, '');
  const suffix = API_SUFFIX[apiType];
  let path: string;
  if (FULL_API_PATH.test(base)) {
    // The user gave the whole API path: respect it.
    path = base;
    base = base.replace(FULL_API_PATH, '');
  } else if (base.endsWith('/v1')) {
    path = base + suffix;
  } else {
    base = base + '/v1';
    path = base + suffix;
  }
  const search = url.search;
  url.search = '';
  url.hash = '';
  return {
    displayUrl: url.toString().replace(/\/$/, ''),
    tls,
    host,
    port,
    hostHeader: url.host,
    path: path + search,
    basePath: base,
    basicAuthorization,
  };
}

/** Split a comma-separated `--endpoints` value and parse each entry. */
export function parseEndpoints(list: string | readonly string[], apiType: ApiType): Endpoint[] {
  const parts = (typeof list === 'string' ? list.split(',') : list.flatMap((s) => s.split(',')))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) {
    throw new BadInputError(
      ErrorCode.endpointMissing,
      '--endpoints is required: the base URL of an OpenAI-compatible server, e.g. --endpoints http://127.0.0.1:8000',
    );
  }
  return parts.map((p) => parseEndpoint(p, apiType));
}

/**
 * Remove credentials from text that may hold URLs, for error messages: in each token, everything
 * before the last '@' (after an optional scheme) goes — a password may contain '@' or '/', and the
 * text may not even parse as a URL.
 */
export function redactUrlText(text: string): string {
  // Per whitespace-separated token: the text may hold several URLs.
  return text.replace(/(^|[\s"'(])([a-z][a-z0-9+.-]*:\/\/)?[^\s"']*@/gi, '$1$2***@');
}

/** Percent-decode URL credentials; a stray '%' (which URL keeps as is) stays literal instead of throwing. */
function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
