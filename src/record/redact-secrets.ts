/**
 * Secrets must never reach a report or the terminal, even when a server echoes them back (some
 * gateways answer 401/400 with the Authorization header or the key in the error body, and error
 * messages keep a body excerpt). Every text that came from the server is redacted before it is
 * cut: the shard scrubs each record's strings as it packs them (RecordBatchBuilder), and only
 * then are error messages cut to MESSAGE_CHARS. Cutting first let a key split by the cut
 * (`sk-TEST-LEAK-1` at characters 195–210 of a body) through: its first half matched nothing.
 */

export const REDACTED = '***';

/** Secrets shorter than this are not searched for: they would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * Server text kept for a message before redaction: long enough that a secret inside it is seen
 * whole by the scrub, which then cuts the message to MESSAGE_CHARS.
 */
export const EXCERPT_CHARS = 1000;

/** A record's error message is at most this long (after redaction). */
export const MESSAGE_CHARS = 300;

/**
 * The run's secrets: the API key, URL credentials, as given and as sent (base64 in Basic auth),
 * and the values of secret `--header`s. Longest first, so a secret containing another is
 * replaced whole.
 */
export function collectSecrets(
  apiKey: string | undefined,
  basicAuthorizations: readonly (string | undefined)[],
  others: readonly string[] = [],
): string[] {
  const secrets = new Set<string>(others);
  if (apiKey !== undefined) secrets.add(apiKey);
  for (const header of basicAuthorizations) {
    if (header === undefined) continue;
    const encoded = header.replace(/^Basic\s+/i, '');
    secrets.add(encoded);
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    secrets.add(decoded);
    const colon = decoded.indexOf(':');
    if (colon >= 0) secrets.add(decoded.slice(colon + 1));
  }
  for (const s of [...secrets]) {
    // A header value such as "Bearer sk-…" is also searched for without its scheme.
    const scheme = /^(?:Bearer|Basic|Token)\s+(.+)$/i.exec(s);
    if (scheme !== null) secrets.add(scheme[1]);
  }
  return [...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** What a shard plan (or any holder of the run's credentials) knows of its secrets; structural, so record/ imports nothing above it. */
export interface SecretHolder {
  apiKey?: string;
  endpoints: readonly { basicAuthorization?: string }[];
  /** `--header` pairs; values of secret-looking names are secrets (isSecret decides). */
  headers?: readonly (readonly [string, string])[];
  /** The body fields every request carries (`--extra-body`): string values under secret-looking keys are secrets. */
  request?: { extraBody?: Record<string, unknown> };
}

export function secretsOf(holder: SecretHolder, isSecretName: (name: string) => boolean): string[] {
  const headerValues = (holder.headers ?? []).filter(([name]) => isSecretName(name)).map(([, value]) => value);
  return collectSecrets(
    holder.apiKey,
    holder.endpoints.map((e) => e.basicAuthorization),
    [...headerValues, ...secretBodyValues(holder.request?.extraBody, isSecretName)],
  );
}

/**
 * The string values of a request body that sit under a secret-looking key, at any depth (a
 * gateway that takes `{"metadata": {"user_token": "…"}}`); under such a key, every string below
 * it counts. Numbers and booleans are not secrets (`max_tokens` is a count).
 */
export function secretBodyValues(
  body: unknown,
  isSecretName: (name: string) => boolean,
  underSecret = false,
): string[] {
  if (typeof body === 'string') return underSecret ? [body] : [];
  if (body === null || typeof body !== 'object') return [];
  const out: string[] = [];
  for (const [key, value] of Array.isArray(body) ? body.entries() : Object.entries(body)) {
    const secret = underSecret || (typeof key === 'string' && isSecretName(key));
    out.push(...secretBodyValues(value, isSecretName, secret));
  }
  return out;
}

/**
 * Every secret replaced by ***, and a secret cut off at the end of the text (a body truncated at a
 * byte limit, an excerpt ending in …) too: its first MIN_SECRET_LENGTH or more characters are
 * enough to narrow it down.
 */
export function redact(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return text;
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return redactCutTail(out, secrets);
}

function redactCutTail(text: string, secrets: readonly string[]): string {
  const end = text.endsWith('…') ? text.length - 1 : text.length;
  let best = 0;
  for (const secret of secrets) {
    for (let k = Math.min(secret.length - 1, end); k >= MIN_SECRET_LENGTH && k > best; k--) {
      if (text.startsWith(secret.slice(0, k), end - k)) {
        best = k;
        break;
      }
    }
  }
  return best === 0 ? text : text.slice(0, end - best) + REDACTED + text.slice(end);
}

/** A redaction function for a fixed set of secrets (identity when there are none). */
export function scrubberFor(secrets: readonly string[]): (text: string) => string {
  return secrets.length === 0 ? (text) => text : (text) => redact(text, secrets);
}

/** A single-line excerpt of server text, cut at `max` characters (with …). */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max) + '…' : flat;
}

/** An error message cut to MESSAGE_CHARS at a word boundary when one is near (report.txt then never shows half a word). */
export function cutMessage(text: string, max = MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  const space = text.lastIndexOf(' ', max);
  return text.slice(0, space > max - 40 ? space : max) + '…';
}
