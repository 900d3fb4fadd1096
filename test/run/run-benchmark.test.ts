/**
 * runBenchmark end to end against real loopback servers: the banner, the report directory (unique,
 * never mixed, --overwrite), secrets echoed by a server (cut or whole, API key and --header),
 * per-status errors with Retry-After, and --header on the wire.
 */
import assert from 'node:assert/strict';
import { chmod, readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { LoadgenError } from '../../src/errors.js';
import { createReportDir, defaultReportDir } from '../../src/report/report-files.js';
import { runBenchmark, type BenchmarkIo } from '../../src/run/run-benchmark.js';
import type { BenchmarkSettingsInput } from '../../src/config/benchmark-settings.js';
import { startMockServer } from '../../src/servers/mock-openai-server.js';
import { makeTempDir } from '../cli/cli-process.js';
import { OK_CHAT_BODY } from '../fixtures/chat-bodies.js';

/** Captures what a run prints. */
function captureIo(): BenchmarkIo & { text(): string } {
  let text = '';
  const sink = new PassThrough();
  sink.setEncoding('utf8').on('data', (s: string) => (text += s));
  return { out: sink, err: sink as unknown as NodeJS.WriteStream, handleSignals: false, text: () => text };
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** A node:http endpoint answering every POST with `answer(headers, n)` (n counts from 1). */
async function startServer(
  answer: (headers: IncomingHttpHeaders, n: number) => Answer,
): Promise<{ url: string; headers: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      const a = answer(req.headers, seen.length);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    headers: seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function offline(url: string, reportDir: string, extra: Partial<BenchmarkSettingsInput> = {}): BenchmarkSettingsInput {
  return { mode: 'offline', endpoints: [url], model: 'm', numSamples: 4, workers: 1, reportDir, ...extra };
}

/** Every file of the report, subdirectories (performance/) included, as one text. */
async function reportFiles(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  const texts = await Promise.all(files.map((f) => readFile(f, 'utf8')));
  return texts.join('\n');
}

test('offline runs are announced as "offline run", not "offline offline run"', { timeout: 60_000 }, async () => {
  const server = await startMockServer();
  const tmp = await makeTempDir();
  try {
    const io = captureIo();
    const result = await runBenchmark(offline(server.url, path.join(tmp.dir, 'r')), io);
    assert.equal(result.exitCode, 0, io.text());
    assert.match(io.text(), /llm-loadgen: offline run against/);
    assert.doesNotMatch(io.text(), /offline offline/);
  } finally {
    await server.close();
    await tmp.cleanup();
  }
});

test('default report directories are distinct for runs started in the same second, and created exclusively', async () => {
  const now = new Date('2026-12-01T07:55:00.123Z');
  assert.notEqual(defaultReportDir(now), defaultReportDir(now));
  assert.match(defaultReportDir(now), /^reports[/\\]2026-12-01T07-55-00Z-[0-9a-f]{4}$/);
  const tmp = await makeTempDir();
  const cwd = process.cwd();
  try {
    process.chdir(tmp.dir);
    const dirs = await Promise.all(Array.from({ length: 20 }, () => createReportDir(undefined, false)));
    assert.equal(new Set(dirs).size, 20, 'twenty runs, twenty directories');
    assert.equal((await readdir(path.join(tmp.dir, 'reports'))).length, 20);
  } finally {
    process.chdir(cwd);
    await tmp.cleanup();
  }
});

test('a non-empty --report-dir is refused (exit 2) unless --overwrite, which replaces our files only', async () => {
  const server = await startMockServer();
  const tmp = await makeTempDir();
  const dir = path.join(tmp.dir, 'r');
  try {
    const first = await runBenchmark(offline(server.url, dir, { numSamples: 6 }), captureIo());
    assert.equal(first.exitCode, 0);
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    // A kill -9 leaves a temporary file behind; --overwrite clears that too.
    await writeFile(path.join(dir, `.records.jsonl.tmp-12345`), 'partial');
    await writeFile(path.join(dir, 'performance', `.result_summary.json.tmp-12345`), 'partial');

    await assert.rejects(
      runBenchmark(offline(server.url, dir, { numSamples: 2 }), captureIo()),
      (err: unknown) =>
        err instanceof LoadgenError &&
        err.code === 'report_dir_not_empty' &&
        err.exitCode === 2 &&
        err.message.includes(`--report-dir ${dir}`) &&
        /--overwrite/.test(err.message),
    );
    const again = await runBenchmark(offline(server.url, dir, { numSamples: 2, overwrite: true }), captureIo());
    assert.equal(again.exitCode, 0);
    const records = (await readFile(path.join(dir, 'records.jsonl'), 'utf8')).trim().split('\n');
    assert.equal(records.length, 2, 'only the new run’s records: nothing of the old six');
    assert.equal(await readFile(path.join(dir, 'notes.txt'), 'utf8'), 'mine', 'files that are not ours are kept');
    assert.deepEqual(
      (await readdir(dir)).sort(),
      ['config.yaml', 'notes.txt', 'performance', 'records.jsonl', 'report.html', 'report.txt', 'summary.csv'],
      'no temporary file left',
    );
    assert.deepEqual(await readdir(path.join(dir, 'performance')), ['result_summary.json'], 'no temporary file left');
    // A file of the user's in performance/ is kept, and so is the directory then.
    await writeFile(path.join(dir, 'performance', 'mine.txt'), 'mine');
    assert.equal(
      (await runBenchmark(offline(server.url, dir, { numSamples: 1, overwrite: true }), captureIo())).exitCode,
      0,
    );
    assert.deepEqual((await readdir(path.join(dir, 'performance'))).sort(), ['mine.txt', 'result_summary.json']);
  } finally {
    await server.close();
    await tmp.cleanup();
  }
});

test('an unwritable --report-dir is exit 2 naming it, before any request', { timeout: 60_000 }, async (t) => {
  if (process.getuid?.() === 0) {
    t.skip('root writes anywhere; test/run/report-disk-full.test.ts covers a read-only mount');
    return;
  }
  const server = await startMockServer();
  const tmp = await makeTempDir();
  const dir = path.join(tmp.dir, 'ro');
  try {
    await createReportDir(dir, false);
    await chmod(dir, 0o555);
    await assert.rejects(
      runBenchmark(offline(server.url, dir), captureIo()),
      (err: unknown) => err instanceof LoadgenError && err.code === 'report_dir_unusable' && err.message.includes(dir),
    );
    assert.equal(server.stats().completionRequests, 0);
  } finally {
    await chmod(dir, 0o755).catch(() => undefined);
    await server.close();
    await tmp.cleanup();
  }
});

const KEY = 'sk-TEST-LEAK-1-0123456789abcdef';
const HEADER_SECRET = 'hdr-TOKEN-9-fedcba9876543210';

test(
  'a key the server echoes is redacted whole even where the excerpt is cut: records, summary, report, console',
  {
    timeout: 60_000,
  },
  async () => {
    // The key straddles character 200 of the body, where excerpts used to be cut before redaction
    // (leaving "sk-TEST-LE" in records.jsonl); the header secret straddles the cut of a long body.
    const server = await startServer((headers, n) => {
      const echoed = n % 2 === 1 ? String(headers.authorization) : String(headers['x-api-key']);
      // `{"error":{"message":"` (21) + pad + ` invalid credentials ` (21) + `Bearer ` (7): the key starts at 190.
      const pad = n % 2 === 1 ? 'p'.repeat(141) : 'q'.repeat(955);
      return {
        status: 401,
        body: JSON.stringify({ error: { message: `${pad} invalid credentials ${echoed}` } }).slice(0, 4000),
      };
    });
    const tmp = await makeTempDir();
    try {
      const io = captureIo();
      const dir = path.join(tmp.dir, 'r');
      const result = await runBenchmark(
        offline(server.url, dir, { apiKey: KEY, headers: [`X-Api-Key: ${HEADER_SECRET}`], numSamples: 6 }),
        io,
      );
      assert.equal(result.exitCode, 4, 'every request failed');
      assert.equal(server.headers[0]['x-api-key'], HEADER_SECRET, 'the --header was sent');
      assert.equal(server.headers[0].authorization, `Bearer ${KEY}`);
      const everything = (await reportFiles(dir)) + io.text();
      assert.match(everything, /invalid credentials/);
      for (const secret of [KEY, HEADER_SECRET]) {
        // No 8-character piece of a secret anywhere.
        for (let i = 0; i + 8 <= secret.length; i++) {
          assert.ok(!everything.includes(secret.slice(i, i + 8)), `"${secret.slice(i, i + 8)}" of a secret leaked`);
        }
      }
      // config.yaml names the variable that holds the secret (it stays a from-config input that runs).
      assert.match(await readFile(path.join(dir, 'config.yaml'), 'utf8'), /X-Api-Key: \$\{X_API_KEY\}/);
    } finally {
      await server.close();
      await tmp.cleanup();
    }
  },
);

test('errors are kept per HTTP status with Retry-After; --header values are sent', { timeout: 60_000 }, async () => {
  const server = await startServer((_headers, n): Answer => {
    if (n % 3 === 1) return { status: 429, headers: { 'retry-after': '7' }, body: '{"error":{"message":"slow down"}}' };
    if (n % 3 === 2) return { status: 503, headers: { 'Retry-After': '30' }, body: '' };
    return { status: 200, body: OK_CHAT_BODY };
  });
  const tmp = await makeTempDir();
  try {
    const io = captureIo();
    const dir = path.join(tmp.dir, 'r');
    const result = await runBenchmark(
      offline(server.url, dir, { numSamples: 9, headers: ['X-Tenant: blue, green', 'x-route:  a'] }),
      io,
    );
    assert.equal(result.exitCode, 0, io.text());
    const byStatus = result.summary!.errors.http_status!.by_status!;
    assert.deepEqual(Object.keys(byStatus).sort(), ['429', '503']);
    assert.equal(byStatus['429'].count, 3);
    assert.match(byStatus['429'].example, /^HTTP 429 from .* \(Retry-After: 7\): .*slow down/);
    assert.match(byStatus['503'].example, /^HTTP 503 from .* \(Retry-After: 30\): \(empty body\)/);
    const text = await readFile(path.join(dir, 'report.txt'), 'utf8');
    assert.match(text, /http_status 429\s+3\n\s+HTTP 429 .*Retry-After: 7/);
    assert.match(text, /http_status 503\s+3\n\s+HTTP 503 .*Retry-After: 30/);
    assert.equal(server.headers[0]['x-tenant'], 'blue, green');
    assert.equal(server.headers[0]['x-route'], 'a');
  } finally {
    await server.close();
    await tmp.cleanup();
  }
});

test('a bad --header is exit 2 naming the flag, without its value', async () => {
  for (const [header, why] of [
    ['no colon here', /Name: value/],
    ['Bad Name: x', /Name: value/],
    ['Host: evil', /sets Host itself/],
    ['Content-Length: 1', /sets Content-Length itself/],
  ] as const) {
    await assert.rejects(
      runBenchmark(offline('http://127.0.0.1:9', '/nonexistent', { headers: [header] }), captureIo()),
      (err: unknown) =>
        err instanceof LoadgenError &&
        err.code === 'invalid_header' &&
        err.exitCode === 2 &&
        err.message.startsWith('--header') &&
        why.test(err.message),
    );
  }
  await assert.rejects(
    runBenchmark(offline('http://127.0.0.1:9', '/nonexistent', { headers: ['X-Api-Key hunter2-secret'] }), captureIo()),
    (err: unknown) => err instanceof LoadgenError && !err.message.includes('hunter2'),
  );
});

test(
  'overload is called out on the console and in the summary: 50 req/s offered to a server that serves 20',
  {
    timeout: 60_000,
  },
  async () => {
    // A FIFO server: one request at a time, 50 ms each (20 req/s), the rest wait their turn.
    let free = 0;
    const server = await startServer(() => ({ status: 200, body: OK_CHAT_BODY }));
    const slow = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const now = Date.now();
        free = Math.max(free, now) + 50;
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(OK_CHAT_BODY);
        }, free - now);
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const tmp = await makeTempDir();
    try {
      const io = captureIo();
      const result = await runBenchmark(
        {
          mode: 'online',
          endpoints: [`http://127.0.0.1:${(slow.address() as AddressInfo).port}`],
          model: 'm',
          targetQps: 50,
          duration: '2s',
          streaming: 'off',
          workers: 1,
          reportDir: path.join(tmp.dir, 'r'),
        },
        io,
      );
      assert.equal(result.exitCode, 0, io.text());
      const s = result.summary!;
      assert.ok(s.drain_ns > 2e9, `drain ${s.drain_ns / 1e9} s`);
      const warning = s.warnings.find((w) => w.startsWith('overloaded'));
      assert.ok(warning, s.warnings.join('\n'));
      assert.match(warning, /offered 50 req\/s/);
      assert.match(io.text(), /WARNING: overloaded: offered 50 req\/s/);
    } finally {
      await new Promise<void>((resolve) => {
        slow.close(() => resolve());
        slow.closeAllConnections();
      });
      await server.close();
      await tmp.cleanup();
    }
  },
);
