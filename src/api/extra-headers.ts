/**
 * `--header 'Name: value'`: extra request headers sent with every request (a gateway's routing or
 * tenant header, a second credential). Values of headers that look secret are redacted like the
 * API key everywhere the run writes.
 */
import { BadInputError, ErrorCode } from '../errors.js';

export type ExtraHeader = readonly [name: string, value: string];

/** RFC 9110 token characters: what a header name may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Headers the client writes itself (framing and routing): a second copy would make a broken request. */
const RESERVED = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'accept']);

/**
 * A header is secret when its name says it carries a credential: authorization, proxy-authorization,
 * cookie, or any name containing key, token, secret, password, auth or session (x-api-key,
 * api-key, x-auth-token, x-goog-api-key, ocp-apim-subscription-key, …). Erring on the side of
 * redacting: a redacted routing header costs nothing, a leaked credential does.
 */
export function isSecretHeader(name: string): boolean {
  return /authorization|cookie|key|token|secret|password|passwd|auth|session|credential/i.test(name);
}

/** Parses the repeatable `--header` values; bad input names the flag and the header. */
export function parseExtraHeaders(values: readonly string[]): ExtraHeader[] {
  return values.map((raw) => {
    const colon = raw.indexOf(':');
    const name = colon < 0 ? '' : raw.slice(0, colon).trim();
    // Shown without its value: the value may be a secret.
    const shown = colon < 0 ? (isSecretHeader(raw) ? '(a secret header)' : `"${raw}"`) : `"${name}: …"`;
    if (colon < 0 || !TOKEN.test(name)) {
      throw new BadInputError(
        ErrorCode.invalidHeader,
        `--header ${shown}: write it as "Name: value" (a name of letters, digits and -, then a colon)`,
      );
    }
    const value = raw.slice(colon + 1).trim();
    if (/[\r\n\0]/.test(value)) {
      throw new BadInputError(ErrorCode.invalidHeader, `--header ${shown}: the value may not contain CR, LF or NUL`);
    }
    if (RESERVED.has(name.toLowerCase())) {
      throw new BadInputError(
        ErrorCode.invalidHeader,
        `--header ${shown}: llm-loadgen sets ${name} itself; remove this --header`,
      );
    }
    return [name, value] as const;
  });
}

/** A `--header` value as config.yaml shows it: a secret header's value replaced by ***. */
export function redactHeaderFlag(raw: string): string {
  const colon = raw.indexOf(':');
  if (colon < 0) return isSecretHeader(raw) ? '***' : raw;
  const name = raw.slice(0, colon).trim();
  return isSecretHeader(name) ? `${name}: ***` : raw;
}

/** The values of the secret headers: redacted wherever the run writes (with the API key). */
export function secretHeaderValues(headers: readonly ExtraHeader[]): string[] {
  return headers.filter(([name]) => isSecretHeader(name)).map(([, value]) => value);
}
