/** Small node:http helpers: whole-body responses and reading a request body. */

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** True once nothing more can be written (response ended, or the client went away). */
export function isGone(res: ServerResponse): boolean {
  return res.writableEnded || res.destroyed || res.socket === null || res.socket.destroyed;
}

/** A complete response with Content-Length. A no-op if the client is already gone. */
export function sendBody(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: OutgoingHttpHeaders = {},
): void {
  if (isGone(res) || res.headersSent) return;
  res.writeHead(status, {
    ...headers,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  sendBody(res, status, 'application/json', JSON.stringify(body), headers);
}

export type BodyResult = { kind: 'ok'; text: string } | { kind: 'too-large' } | { kind: 'aborted' };

/** Reads the whole body as UTF-8. Never rejects: an aborted or failed upload is 'aborted'. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        chunks.length = 0;
        settle({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => settle({ kind: 'ok', text: Buffer.concat(chunks).toString('utf8') }));
    req.once('error', () => settle({ kind: 'aborted' }));
    // 'close' before 'end' means the client went away mid-upload.
    req.once('close', () => settle({ kind: 'aborted' }));
  });
}
