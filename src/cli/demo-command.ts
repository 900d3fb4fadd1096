/** `llm-loadgen demo` (what `npm start` runs): a short streaming benchmark against the built-in mock endpoint. */
import { Command } from 'commander';
import path from 'node:path';
import { runBenchmark } from '../run/run-benchmark.js';
import { defaultReportDir } from '../report/report-files.js';
import { startMockServer } from '../servers/mock-openai-server.js';
import { parseIntFlag } from './flag-parsers.js';

export function demoCommand(): Command {
  return new Command('demo')
    .description('start the built-in mock endpoint on a free loopback port and benchmark it briefly (what `npm start` runs)')
    .option('--duration <duration>', 'how long to send', '10s')
    .option('--concurrency <n>', 'requests kept in flight', parseIntFlag, 32)
    .option('--report-dir <dir>', 'where the report goes (default: reports/demo-<timestamp>)')
    .action(async (flags: { duration: string; concurrency: number; reportDir?: string }) => {
      const server = await startMockServer({ host: '127.0.0.1', port: 0, ttftMs: 40, itlMs: 10, outputTokens: 64 });
      process.stderr.write(`mock endpoint listening on ${server.url} (ttft 40 ms, itl 10 ms, 64 output tokens)\n`);
      try {
        const reportDir = flags.reportDir ?? path.join(path.dirname(defaultReportDir()), 'demo-' + path.basename(defaultReportDir()));
        const result = await runBenchmark(
          {
            mode: 'online',
            endpoints: [server.url],
            model: 'mock-model',
            loadPattern: 'concurrency',
            concurrency: flags.concurrency,
            duration: flags.duration,
            streaming: 'on',
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
