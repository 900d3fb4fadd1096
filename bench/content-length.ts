/** The bare Node floor clients' one header scan (node-floor-client.ts, node-floor-open-loop.ts). */

export const HEAD_END = Buffer.from('\r\n\r\n');
const CL = Buffer.from('content-length:');

/** The Content-Length value in head bytes h[0, end), case-insensitive; 0 when absent. */
export function contentLength(h: Buffer, end: number): number {
  for (let i = 0; i + CL.length < end; i++) {
    if (h[i] !== 10) continue; // a header starts after a line feed
    let k = 0;
    while (k < CL.length && (h[i + 1 + k] | 0x20) === CL[k]) k++;
    if (k < CL.length) continue;
    let j = i + 1 + k;
    while (h[j] === 32) j++;
    let n = 0;
    while (h[j] >= 48 && h[j] <= 57) n = n * 10 + h[j++] - 48;
    return n;
  }
  return 0;
}
