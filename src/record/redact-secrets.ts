/**
 * Secrets must never reach a report or the terminal, even when a server echoes them back (some
 * gateways answer 401/400 with the Authorization header or the key in the error body, and error
 * messages keep a body excerpt). Every text that came from the server goes through `redact`.
 */

export const REDACTED = '***';

/** Secrets shorter than this are not searched for: they would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * The run's secrets: the API key and URL credentials, as given and as sent (base64 in Basic
 * auth). Longest first, so a secret containing another is replaced whole.
 */
export function collectSecrets(
  apiKey: string | undefined,
  basicAuthorizations: readonly (string | undefined)[],
): string[] {
  const secrets = new Set<string>();
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
  return [...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}
