/**
 * Compressed answers. Requests say `Accept-Encoding: identity`, so a server that compresses anyway
 * is misconfigured (usually a proxy). Per encoding:
 * - gzip / x-gzip, deflate, br, on a non-streaming body: decoded with node:zlib, once, when the body
 *   is complete (a body's timing does not depend on its encoding), with the output capped at
 *   --max-response-bytes so a zip bomb ends as response_too_large.
 * - any encoding on an event stream: refused (unsupported_content_encoding), because its events
 *   would reach us when the compressor flushes, not when the server sent them.
 * - anything else (zstd, compress, a list of several): refused, since Node 20's zlib has no zstd.
 * Off the fast path: only responses with a Content-Encoding other than identity come here.
 */
import zlib from 'node:zlib';

/** Can decodeBody decode this (lower-cased) Content-Encoding? */
export function decodableEncoding(encoding: string): boolean {
  return encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate' || encoding === 'br';
}

/**
 * Decode a whole body. Returns the bytes, null when the decoded body would pass `maxBytes`, or a
 * message (a string) when the bytes are not valid for the encoding.
 */
export function decodeBody(body: Buffer, encoding: string, maxBytes: number): Buffer | null | string {
  try {
    return inflate(body, encoding, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null;
    return `the body is not valid ${encoding} (Content-Encoding: ${encoding}): ${(err as Error).message}`;
  }
}

/** Cap on the decoded text of an error body: only an excerpt of it is shown. */
const ERROR_TEXT_LIMIT = 16 * 1024;

/**
 * A non-2xx body (its first bytes, maybe cut mid-stream) as text for the error message: decoded
 * when compressed, and never raw binary (a body that is not text is described, not shown).
 */
export function errorBodyText(body: Buffer, encoding: string): string {
  let bytes = body;
  if (encoding !== '') {
    if (!decodableEncoding(encoding)) return `(a ${body.length}-byte body in Content-Encoding ${encoding}, not shown)`;
    try {
      // A cut body decodes as far as it goes with a sync flush at its end.
      const flush = encoding === 'br' ? zlib.constants.BROTLI_OPERATION_FLUSH : zlib.constants.Z_SYNC_FLUSH;
      bytes = inflate(body, encoding, { finishFlush: flush, maxOutputLength: ERROR_TEXT_LIMIT });
    } catch {
      return `(a ${body.length}-byte body in Content-Encoding ${encoding} that does not decode, not shown)`;
    }
  }
  const text = bytes.toString('utf8');
  return looksBinary(text) ? `(a ${body.length}-byte binary body, not shown)` : text;
}

function inflate(body: Buffer, encoding: string, options: zlib.ZlibOptions & zlib.BrotliOptions): Buffer {
  if (encoding === 'br') return zlib.brotliDecompressSync(body, options);
  // deflate: RFC 9110 means zlib-wrapped, but some servers send raw deflate; unzipSync takes both
  // gzip and zlib headers, inflateRawSync the headerless form.
  if (encoding === 'deflate' && body.length > 0 && (body[0] & 0x0f) !== 8) return zlib.inflateRawSync(body, options);
  return zlib.unzipSync(body, options);
}

/** Control characters (other than white space) or replacement characters: not text to show. */
function looksBinary(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text);
}
