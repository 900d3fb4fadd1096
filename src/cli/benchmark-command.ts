/**
 * `llm-loadgen benchmark offline|online|from-config`. Flags come from the option table
 * (config/benchmark-options.ts); names follow MLPerf Endpoints'. With from-config, flags given
 * override the file.
 */
import { Command } from 'commander';
import type { BenchmarkMode } from '../config/benchmark-options.js';
import { FLAG_SOURCES, parseSettings, type BenchmarkSettingsInput } from '../config/benchmark-settings.js';
import { mergedSources, readConfigFile, type ConfigFile } from '../config/config-file.js';
import { runBenchmark } from '../run/run-benchmark.js';
import { addBenchmarkFlags, readBenchmarkFlags } from './benchmark-flags.js';
import { runValueSweep, valueSweepOf } from './sweep-command.js';

/** The API key falls back to OPENAI_API_KEY when neither a flag nor the file gives one. */
function withEnvApiKey(input: BenchmarkSettingsInput): BenchmarkSettingsInput {
  return input.apiKey !== undefined ? input : { ...input, apiKey: process.env.OPENAI_API_KEY || undefined };
}

async function execute(input: BenchmarkSettingsInput): Promise<void> {
  const io = { out: process.stdout, err: process.stderr, handleSignals: true };
  // A list of --concurrency or --target-qps values is a sweep, one step per value.
  const sweep = valueSweepOf(input);
  if (sweep !== null) {
    process.exitCode = await runValueSweep(withEnvApiKey(input), sweep, io);
    return;
  }
  const result = await runBenchmark(withEnvApiKey(input), io);
  process.exitCode = result.exitCode;
}

function modeCommand(mode: BenchmarkMode, description: string): Command {
  const cmd = addBenchmarkFlags(new Command(mode).description(description), mode);
  return cmd.action(async (_flags: unknown, self: Command) => {
    const { input } = readBenchmarkFlags(self);
    await execute({ ...input, mode } as BenchmarkSettingsInput);
  });
}

/** A config file merged with the flags given beside it; validated with file:line in errors. */
export async function loadConfigWithFlags(
  file: string,
  cmd: Command,
): Promise<{ input: BenchmarkSettingsInput; config: ConfigFile }> {
  const config = await readConfigFile(file);
  const flags = readBenchmarkFlags(cmd);
  const input = withEnvApiKey({ ...config.input, ...flags.input } as BenchmarkSettingsInput);
  parseSettings(input, mergedSources(config, flags.keys, FLAG_SOURCES, file));
  return { input, config };
}

/** The notice for keys a file sets that llm-loadgen does not act on. */
export function unusedKeysNotice(file: string, unused: readonly string[]): string {
  if (unused.length === 0) return '';
  return (
    `notice: ${file}: ${unused.length} key${unused.length === 1 ? '' : 's'} not used by llm-loadgen ` +
    `(accepted for MLPerf Endpoints compatibility; see docs/mlperf-compatibility.md):\n` +
    unused.map((u) => `  ${u}\n`).join('')
  );
}

export function benchmarkCommand(): Command {
  const bench = new Command('benchmark').description('measure an endpoint under load and write a report');
  bench.addCommand(
    modeCommand('offline', 'send every sample at once (bounded only by connections); non-streaming by default'),
  );
  bench.addCommand(
    modeCommand(
      'online',
      'send at a target rate (poisson) or keep a fixed number in flight (concurrency); streaming by default',
    ),
  );
  const fromConfig = addBenchmarkFlags(
    new Command('from-config')
      .description("run what a YAML config says (MLPerf Endpoints' shape; `llm-loadgen init` writes one)")
      .requiredOption('-c, --config <file>', 'the YAML config; flags given beside it override its values'),
    'any',
  );
  fromConfig.action(async (flags: { config: string }, self: Command) => {
    const { input, config } = await loadConfigWithFlags(flags.config, self);
    process.stderr.write(unusedKeysNotice(flags.config, config.unused));
    await execute(input);
  });
  bench.addCommand(fromConfig);
  return bench;
}
