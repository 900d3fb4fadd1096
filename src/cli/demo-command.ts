/** `llm-loadgen demo` (what `npm start` runs): a short streaming benchmark against the built-in mock endpoint. */
import { Command } from 'commander';
import path from 'node:path';
import { runBenchmark } from '../run/run-benchmark.js';
import { defaultReportDir } from '../report/report-files.js';
import { spawn } from 'node:child_process';
import { parseDurationMs } from '../config/duration.js';
import { BadInputError, ErrorCode } from '../errors.js';
import { parseIntFlag } from './flag-parsers.js';

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'start the built-in mock endpoint on a free loopback port and benchmark it briefly (what `npm start` runs)',
    )
    .option(
      '--duration <duration>',
      'how long to send (10s, 2m; a bare number is milliseconds, as for benchmark)',
      '10s',
    )
    .option('--concurrency <n>', 'requests kept in flight', parseIntFlag, 32)
    .option('--report-dir <dir>', 'where the report goes (default: reports/demo-<timestamp>)')
    .action(async (flags: { duration: string; concurrency: number; reportDir?: string }) => {
      // benchmark's --duration 0 means one pass over the dataset; a demo is bounded by time only.
      if (parseDurationMs(flags.duration, 'ms') === 0) {
        throw new BadInputError(ErrorCode.invalidFlag, '--duration: must be above 0, e.g. 10s');
      }
      const server = await startMockServerProcess();
      process.stderr.write(
        `mock endpoint listening on ${server.url} (ttft 40 ms, itl 10 ms, 64 output tokens; its own process)\n`,
      );
      try {
        const reportDir =
          flags.reportDir ?? path.join(path.dirname(defaultReportDir()), 'demo-' + path.basename(defaultReportDir()));
        const result = await runBenchmark(
          {
            mode: 'online',
            endpoints: [server.url],
            model: 'mock-model',
            loadPattern: 'concurrency',
            concurrency: flags.concurrency,
            duration: flags.duration,
            streaming: 'on',
            // The mock's own length (--output-tokens 64 below): it makes exactly max_tokens tokens.
            maxOutputTokens: 64,
            reportDir,
          },
          { out: process.stdout, err: process.stderr, handleSignals: true },
        );
        process.exitCode = result.exitCode;
      } finally {
        await server.close();
      }
    });
}

/**
 * The mock endpoint in a process of its own (`serve`), not in the CLI's: the server's work must not
 * share the main process's event loop or show up in the client's CPU time. Its own process group,
 * so a Ctrl-C reaches the run (which then cancels and reports) and not the server.
 */
async function startMockServerProcess(): Promise<{ url: string; close(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      process.argv[1],
      'serve',
      '--port',
      '0',
      '--ttft-ms',
      '40',
      '--itl-ms',
      '10',
      '--output-tokens',
      '64',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    },
  );
  const killChild = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', killChild);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m !== null) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the mock endpoint exited before listening (code ${code})`)));
  });
  return {
    url,
    close: async () => {
      process.off('exit', killChild);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      killChild();
      await exited;
    },
  };
}
