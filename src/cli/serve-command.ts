/** `llm-loadgen serve`: run the built-in mock OpenAI endpoint until Ctrl-C. */

import { Command } from 'commander';
import { BadInputError, ErrorCode } from '../errors.js';
import {
  MAX_OUTPUT_TOKENS,
  MOCK_FAULTS,
  startMockServer,
  type MockFault,
  type RunningMockServer,
} from '../servers/mock-openai-server.js';
import { mockAnswerKeys, type AnswerSource } from '../servers/mock-answers.js';
import {
  loadAnswerKey,
  parseAnswerFileSpec,
  parseAnswerStyle,
  parseFraction,
  type AnswerFileSpec,
  type LoadedAnswerKey,
} from '../servers/mock-answer-files.js';

/** As commander hands them over: strings (defaults too), validated by parseServeFlags. */
interface RawServeFlags {
  host: string;
  port: string;
  ttftMs: string;
  itlMs: string;
  outputTokens: string;
  fault: string;
  faultEvery: string;
  maxConcurrency: string;
  answers: string[];
  answerFraction: string;
  answerSeed: string;
  answerStyle?: string;
}

interface ServeOptions {
  host: string;
  port: number;
  ttftMs: number;
  itlMs: number;
  outputTokens: number;
  fault: MockFault;
  faultEvery: number;
  maxConcurrency: number;
  /** Answer mode: one key per --answers file. */
  answerFiles: AnswerFileSpec[];
}

function badFlag(flag: string, expected: string, value: string): BadInputError {
  return new BadInputError(ErrorCode.invalidFlag, `${flag} must be ${expected}, got "${value}"`);
}

// Strict patterns: Number() would also accept '', ' 5', '0x10' and '1e3'.
function integerFlag(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw badFlag(flag, `an integer from ${min} to ${max}`, value);
  }
  return n;
}

function msFlag(flag: string, value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw badFlag(flag, 'a number of ms >= 0', value);
  return Number(value);
}

function parseServeFlags(raw: RawServeFlags): ServeOptions {
  const fault = MOCK_FAULTS.find((kind) => kind === raw.fault);
  if (fault === undefined) throw badFlag('--fault', `one of ${MOCK_FAULTS.join(', ')}`, raw.fault);
  if (raw.host.trim() === '') throw badFlag('--host', 'a host name or address', raw.host);
  // Checked with or without --answers: a bad value is an error, not silently unused.
  const answerDefaults = {
    fraction: parseFraction(raw.answerFraction, '--answer-fraction'),
    seed: integerFlag('--answer-seed', raw.answerSeed, 0, Number.MAX_SAFE_INTEGER),
    style: raw.answerStyle === undefined ? undefined : parseAnswerStyle(raw.answerStyle, '--answer-style'),
  };
  return {
    host: raw.host,
    port: integerFlag('--port', raw.port, 0, 65535),
    ttftMs: msFlag('--ttft-ms', raw.ttftMs),
    itlMs: msFlag('--itl-ms', raw.itlMs),
    outputTokens: integerFlag('--output-tokens', raw.outputTokens, 1, MAX_OUTPUT_TOKENS),
    fault,
    faultEvery: integerFlag('--fault-every', raw.faultEvery, 1, Number.MAX_SAFE_INTEGER),
    maxConcurrency: integerFlag('--max-concurrency', raw.maxConcurrency, 0, 2 ** 31 - 1),
    answerFiles: raw.answers.map((spec) => parseAnswerFileSpec(spec, answerDefaults)),
  };
}

/** What answer mode says on start: per file, the rows answered right, and how. */
function describeAnswers(keys: readonly LoadedAnswerKey[]): string {
  return keys
    .map(
      (k) =>
        `answering ${k.spec.path}: ${k.right} of ${k.rows} rows right (fraction ${k.spec.fraction}, seed ${k.spec.seed}), ` +
        `the rest wrong or unreadable, as ${k.style} answers; truth column '${k.spec.truthColumn}'\n`,
    )
    .join('');
}

/** Turns listen errors a user can fix into BadInputError; anything else is rethrown as is. */
async function listen(options: ServeOptions, answers: AnswerSource | undefined): Promise<RunningMockServer> {
  try {
    return await startMockServer({ ...options, answers });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${options.host}:${options.port}`;
    if (code === 'EADDRINUSE') {
      const message = `${where} is already in use; pick another --port`;
      throw new BadInputError(ErrorCode.portInUse, message, { cause: err });
    }
    if (code === 'EACCES') {
      const message = `not allowed to listen on ${where}; pick a --port above 1023`;
      throw new BadInputError(ErrorCode.portNotPermitted, message, { cause: err });
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      const message = `cannot listen on --host ${options.host}: not an address of this machine`;
      throw new BadInputError(ErrorCode.badHost, message, { cause: err });
    }
    throw err;
  }
}

function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      // Only the first signal is ours: a second Ctrl-C during shutdown kills the process.
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run a mock OpenAI-compatible endpoint (no GPU needed) until Ctrl-C')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'TCP port (0 picks a free one)', '8000')
    .option('--ttft-ms <n>', 'delay before the first token, ms', '0')
    .option('--itl-ms <n>', 'delay between tokens, ms', '0')
    .option('--output-tokens <n>', 'tokens per response when the request sets no max_tokens', '16')
    .option('--fault <kind>', `inject a fault: ${MOCK_FAULTS.join(', ')}`, 'none')
    .option('--fault-every <n>', 'apply the fault to every n-th completion request', '1')
    .option(
      '--max-concurrency <n>',
      'batch slots: at most n generations at once, later requests queue (FIFO) before their TTFT starts; 0 = unlimited',
      '0',
    )
    .option(
      '--answers <spec>',
      'answer mode, for accuracy runs: `PATH[,truth=COL][,prompt=COL][,style=abcd|math|plain][,fraction=F][,malformed=F][,seed=N]`, repeatable. ' +
        "A request whose prompt holds a row's prompt gets an answer right for exactly round(fraction × rows) seeded rows, " +
        'wrong or unreadable (half each, malformed=F) for the rest; truth defaults to ground_truth, style to what the truths look like (docs/accuracy.md)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--answer-fraction <f>', 'fraction of each --answers file answered right, where its spec sets none', '1')
    .option('--answer-seed <n>', 'seed choosing which rows are answered right, where the spec sets none', '0')
    .option(
      '--answer-style <style>',
      'abcd (Answer: C), math (\\boxed{N}) or plain (the truth itself), where the spec sets none',
    )
    .action(async (raw: RawServeFlags) => {
      const options = parseServeFlags(raw);
      const keys: LoadedAnswerKey[] = [];
      for (const spec of options.answerFiles) keys.push(await loadAnswerKey(spec));
      const server = await listen(options, keys.length === 0 ? undefined : mockAnswerKeys(keys.map((k) => k.key)));
      process.stdout.write(describeAnswers(keys));
      const { ttftMs, itlMs, outputTokens, maxConcurrency } = options;
      const slots = maxConcurrency === 0 ? '' : `, ${maxConcurrency} batch slots`;
      console.log(
        `llm-loadgen mock endpoint listening on ${server.url} ` +
          `(ttft ${ttftMs} ms, itl ${itlMs} ms, ${outputTokens} output tokens${slots})`,
      );
      await shutdownSignal();
      await server.close();
      process.exitCode = 0;
    });
}
