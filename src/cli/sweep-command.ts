/**
 * `llm-loadgen sweep`: guidellm's sweep (synchronous, throughput, N rates between), or with
 * --find-max-goodput a bisection for the highest rate whose step passes its SLOs. Every benchmark
 * flag applies to each step (--duration is per step); the sweep sets the load of each.
 * `benchmark online --concurrency 1,4,16` / `--target-qps 5,10,20` sweeps the values given
 * (runValueSweep, called by the benchmark command).
 */
import { Command } from 'commander';
import { parseSettings, type BenchmarkSettingsInput } from '../config/benchmark-settings.js';
import { BadInputError, ErrorCode } from '../errors.js';
import type { BenchmarkIo } from '../run/run-benchmark.js';
import { runSweep } from '../sweep/run-sweep.js';
import { guidellmScheme, maxGoodputScheme, valuesScheme, type RatePattern } from '../sweep/sweep-schemes.js';
import { sweptValues } from '../sweep/sweep-values.js';
import { parseStepSlo, stepJudge, type StepJudge, type StepSlo } from '../sweep/step-verdict.js';
import { addBenchmarkFlags, readBenchmarkFlags } from './benchmark-flags.js';

/** Bisection ends when the bracket is within 4 % (6 rate steps from a 30× bracket; the answer must be within 10 %). */
const BISECT_TOLERANCE = 0.04;
const BISECT_MAX_STEPS = 8;

function ratePattern(input: BenchmarkSettingsInput): RatePattern {
  return input.loadPattern === 'poisson' ? 'poisson' : input.loadPattern === 'constant' ? 'constant' : 'constant';
}

function parseSlos(raw: readonly string[]): StepSlo[] {
  return raw.map((text) => {
    const slo = parseStepSlo(text);
    if (typeof slo === 'string') throw new BadInputError(ErrorCode.invalidFlag, `--step-slo: ${slo}`);
    return slo;
  });
}

/** The list of a swept --concurrency or --target-qps in the input, or null when it is one run. */
export function valueSweepOf(input: BenchmarkSettingsInput): { kind: 'concurrency' | 'rate'; values: number[] } | null {
  const parsed = parseSettings(input);
  const c = sweptValues(parsed.concurrency);
  if (c !== null) return { kind: 'concurrency', values: c };
  const q = sweptValues(parsed.targetQps);
  return q === null ? null : { kind: 'rate', values: q };
}

export async function runValueSweep(
  input: BenchmarkSettingsInput,
  sweep: { kind: 'concurrency' | 'rate'; values: number[] },
  io: BenchmarkIo,
  judge: StepJudge | null = null,
): Promise<number> {
  const parsed = parseSettings(input);
  const pattern: RatePattern = parsed.loadPattern === 'constant' ? 'constant' : 'poisson';
  const result = await runSweep(
    input,
    valuesScheme(sweep.kind, sweep.values, pattern),
    {
      judge,
      maxErrorRate: parsed.sweepMaxErrorRate,
      maxSloMissRate: parsed.sweepMaxSloMissRate,
    },
    io,
  );
  return result.exitCode;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function sweepCommand(): Command {
  const cmd = addBenchmarkFlags(
    new Command('sweep')
      .description(
        "guidellm's sweep: a synchronous step, a throughput step, then --sweep-rates rates between them (constant gaps unless --load-pattern poisson); --find-max-goodput bisects for the highest rate that passes --step-slo",
      )
      .option('--find-max-goodput', 'bisect over rate for the highest rate whose step passes every --step-slo')
      .option(
        '--step-slo <slo>',
        'a percentile SLO a step must pass, STAT(METRIC)<=LIMIT, e.g. p99(ttft)<=500ms (ttft, tpot, itl, e2e; pNN or avg); repeatable',
        collect,
      ),
    'online',
  );
  return cmd.action(async (flags: { findMaxGoodput?: boolean; stepSlo?: string[] }, self: Command) => {
    const { input: given } = readBenchmarkFlags(self);
    const input = { ...given, mode: 'online' } as BenchmarkSettingsInput;
    for (const [key, flag] of [
      ['concurrency', '--concurrency'],
      ['targetQps', '--target-qps'],
    ] as const) {
      if (input[key] !== undefined)
        throw new BadInputError(
          ErrorCode.invalidFlag,
          `${flag}: the sweep sets each step's load itself; leave it out (or list values: benchmark online ${flag} 1,4,16)`,
        );
    }
    if (input.loadPattern === 'concurrency' || input.loadPattern === 'trace')
      throw new BadInputError(ErrorCode.invalidFlag, '--load-pattern: a sweep steps over rates: poisson or constant');
    const slos = parseSlos(flags.stepSlo ?? []);
    if (flags.findMaxGoodput === true && slos.length === 0)
      throw new BadInputError(
        ErrorCode.invalidFlag,
        '--find-max-goodput needs at least one --step-slo, e.g. --step-slo "p99(ttft)<=500ms"',
      );
    // Validate once (exit 2 naming the flag) with a load in place, before any step runs.
    const parsed = parseSettings({ ...input, loadPattern: 'constant', targetQps: 1 } as BenchmarkSettingsInput);
    const pattern = ratePattern(input);
    const scheme =
      flags.findMaxGoodput === true
        ? maxGoodputScheme({
            maxConcurrency: parsed.sweepMaxConcurrency,
            pattern,
            tolerance: BISECT_TOLERANCE,
            maxRateSteps: BISECT_MAX_STEPS,
            maxErrorRate: parsed.sweepMaxErrorRate ?? 0,
          })
        : guidellmScheme(parsed.sweepRates, parsed.sweepMaxConcurrency, pattern);
    const withEnvKey =
      input.apiKey !== undefined ? input : { ...input, apiKey: process.env.OPENAI_API_KEY || undefined };
    const result = await runSweep(
      withEnvKey,
      scheme,
      {
        judge: slos.length > 0 ? stepJudge(slos) : null,
        maxErrorRate: flags.findMaxGoodput === true ? undefined : parsed.sweepMaxErrorRate,
        maxSloMissRate: parsed.sweepMaxSloMissRate,
      },
      { out: process.stdout, err: process.stderr, handleSignals: true },
    );
    process.exitCode = result.exitCode;
  });
}
