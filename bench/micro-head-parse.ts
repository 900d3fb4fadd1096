/**
 * Microbenchmark: parsing one nginx-style response (head + 940-byte body) with the native head
 * parser and with the JS one, alternating, in one process.
 *
 *   node --import tsx bench/micro-head-parse.ts
 */
import { Http1ResponseParser } from '../src/client/http1-response-parser.js';
import { useNativeAddon } from '../src/native/addon.js';

const body = 'x'.repeat(940);
const raw = Buffer.from(
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 26 Nov 2026 20:20:45 GMT\r\nContent-Type: application/json\r\n' +
    `Content-Length: 940\r\nLast-Modified: Thu, 26 Nov 2026 20:14:02 GMT\r\nConnection: keep-alive\r\nAccept-Ranges: bytes\r\n\r\n${body}`,
);
// As a socket read delivers it: a view into a larger shared buffer.
const shared = Buffer.alloc(65_536);
raw.copy(shared);
const parser = new Http1ResponseParser();
const sink = { onResponseHead() {}, onResponseBody() {}, onResponseComplete() {} };
if (!useNativeAddon(true)) console.log('native addon not built: JS only');
for (let round = 0; round < 6; round++) {
  const native = round % 2 === 0 && useNativeAddon(true);
  useNativeAddon(native);
  const n = 300_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    parser.reset(sink);
    parser.execute(shared.subarray(0, raw.length));
  }
  console.log(
    `${native ? 'native' : 'JS    '} ${(Number(process.hrtime.bigint() - t0) / n).toFixed(0)} ns per response`,
  );
}
