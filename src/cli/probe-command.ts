/** `llm-loadgen probe`: a few requests and a plain diagnosis before a real benchmark. */
import { Command, Option } from 'commander';
import { parseDurationMs } from '../config/duration.js';
import { BadInputError, ErrorCode } from '../errors.js';
import { probe } from '../run/probe.js';
import { collectList, parseIntFlag } from './flag-parsers.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

interface ProbeFlags {
  endpoints: string[];
  model: string;
  apiType: 'chat' | 'completions';
  apiKey?: string;
  requests: number;
  streaming: 'on' | 'off';
  maxOutputTokens: number;
  timeout: string;
  prompt: string;
  insecure: boolean;
}

export function probeCommand(): Command {
  return new Command('probe')
    .description('send a few requests and diagnose the endpoint (exit 0 ok, 3 unreachable, 4 requests failed)')
    .requiredOption('--endpoints <urls>', 'base URL(s), comma-separated', collectList)
    .requiredOption('--model <name>', 'model name')
    .addOption(new Option('--api-type <type>', 'OpenAI API to call').choices(['chat', 'completions']).default('chat'))
    .option('--api-key <key>', 'sent as "Authorization: Bearer"; OPENAI_API_KEY is read when absent')
    .option('--requests <n>', 'requests per endpoint', parseIntFlag, 3)
    .addOption(new Option('--streaming <mode>', 'SSE streaming').choices(['on', 'off']).default('on'))
    .option('--max-output-tokens <n>', 'max_tokens per request', parseIntFlag, 32)
    .option('--timeout <duration>', 'per-request timeout', '60s')
    .option('--prompt <text>', 'prompt to send', 'Say hello in one short sentence.')
    .option('--insecure', 'accept any TLS certificate', false)
    .action(async (f: ProbeFlags) => {
      const timeoutMs = parseDurationMs(f.timeout);
      if (timeoutMs === null || timeoutMs <= 0)
        throw new BadInputError(ErrorCode.invalidFlag, `--timeout: "${f.timeout}" is not a duration; use e.g. 30s`);
      // Node timers hold at most 2^31 − 1 ms: a longer one fires after 1 ms.
      if (timeoutMs > MAX_TIMER_MS)
        throw new BadInputError(
          ErrorCode.invalidFlag,
          `--timeout: "${f.timeout}" is longer than 24 days; use e.g. 10m`,
        );
      if (f.requests < 1) throw new BadInputError(ErrorCode.invalidFlag, '--requests: must be at least 1');
      if (f.maxOutputTokens < 1)
        throw new BadInputError(
          ErrorCode.invalidFlag,
          '--max-output-tokens: must be at least 1 (it is sent as max_tokens)',
        );
      const result = await probe(
        {
          endpoints: f.endpoints,
          model: f.model,
          apiType: f.apiType,
          apiKey: f.apiKey ?? (process.env.OPENAI_API_KEY || undefined),
          requests: f.requests,
          streaming: f.streaming === 'on',
          maxOutputTokens: f.maxOutputTokens,
          timeoutMs,
          prompt: f.prompt,
          insecure: f.insecure,
        },
        process.stdout,
      );
      process.exitCode = result.exitCode;
    });
}
