/**
 * What https endpoints are trusted with: the system's roots (default), plus a CA given with
 * --ca-file, or nothing checked (--insecure). The secure context is built once per process: one
 * per connection would parse ~140 root certificates for every connect.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { BadInputError, ErrorCode } from '../errors.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Read and check a --ca-file (one or more PEM certificates). Throws BadInputError naming the flag. */
export function readCaFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BadInputError(
      ErrorCode.caFileInvalid,
      `--ca-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  const certs = text.match(PEM_CERT) ?? [];
  if (certs.length === 0) {
    throw new BadInputError(
      ErrorCode.caFileInvalid,
      `--ca-file ${file}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`,
    );
  }
  for (const [i, pem] of certs.entries()) {
    try {
      new X509Certificate(pem);
    } catch (err) {
      throw new BadInputError(
        ErrorCode.caFileInvalid,
        `--ca-file ${file}: certificate ${i + 1} is not valid (${(err as Error).message})`,
      );
    }
  }
  return text;
}

const contexts = new Map<string, tls.SecureContext>();

/** The secure context trusting the system roots and `caPem` (undefined: Node's default context). */
export function secureContextFor(caPem: string | undefined): tls.SecureContext | undefined {
  if (caPem === undefined) return undefined;
  let ctx = contexts.get(caPem);
  if (ctx === undefined) {
    ctx = tls.createSecureContext({ ca: [...tls.rootCertificates, caPem] });
    contexts.set(caPem, ctx);
  }
  return ctx;
}

const UNTRUSTED_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What to do about a TLS verification error, or '' when `code` is not one. */
export function tlsAdvice(code: string): string {
  if (!UNTRUSTED_CERT_CODES.has(code)) return '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return 'the certificate is not for this host name: use the name it was issued for in --endpoints, or --insecure to skip verification';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return 'the certificate is outside its validity dates (check the server and this host clock), or pass --insecure to skip verification';
  return 'the certificate is not signed by a trusted CA: pass --ca-file with the CA (PEM) that signed it, or --insecure to skip verification';
}
