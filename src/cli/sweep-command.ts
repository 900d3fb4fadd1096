/**
 * `llm-loadgen sweep`: guidellm's sweep (synchronous, throughput, N rates between), or with
 * --find-max-goodput a bisection for the highest rate whose step passes its SLOs. Every benchmark
 * flag applies to each step (--duration is per step); the sweep sets the load of each. SLOs are
 * the run's --slo, parsed and evaluated once, in metrics/slo.ts, for every step as for a run.
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
import { addBenchmarkFlags, readBenchmarkFlags } from './benchmark-flags.js';

/** Bisection ends when the bracket is within 4 % (6 rate steps from a 30× bracket; the answer must be within 10 %). */
const BISECT_TOLERANCE = 0.04;
const BISECT_MAX_STEPS = 8;

function ratePattern(input: BenchmarkSettingsInput): RatePattern {
  return input.loadPattern === 'poisson' ? 'poisson' : input.loadPattern === 'constant' ? 'constant' : 'constant';
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
): Promise<number> {
  const parsed = parseSettings(input);
  const pattern: RatePattern = parsed.loadPattern === 'constant' ? 'constant' : 'poisson';
  const result = await runSweep(
    input,
    valuesScheme(sweep.kind, sweep.values, pattern),
    {
      maxErrorRate: parsed.sweepMaxErrorRate,
      maxSloMissRate: parsed.sweepMaxSloMissRate,
    },
    io,
  );
  return result.exitCode;
}

export function sweepCommand(): Command {
  const cmd = addBenchmarkFlags(
    new Command('sweep')
      .description(
        "guidellm's sweep: a synchronous step, a throughput step, then --sweep-rates rates between them (constant gaps unless --load-pattern poisson); --find-max-goodput bisects for the highest rate whose step passes every percentile --slo. Each step is a run with --slo: per-request SLOs (ttft:200ms) give its goodput columns, percentile SLOs (p99(ttft)<=500ms) its pass/fail. Exit 0; 99 when a step failed a percentile SLO (--find-max-goodput: when no rate passed); a failed step's own code (3, 4); 130 interrupted",
      )
      .option(
        '--find-max-goodput',
        "bisect over rate for the highest rate whose step passes every percentile --slo (e.g. --slo 'p99(ttft)<=500ms')",
      ),
    'online',
  );
  return cmd.action(async (flags: { findMaxGoodput?: boolean }, self: Command) => {
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
    // Validate once (exit 2 naming the flag, --slo included) with a load in place, before any step runs.
    const parsed = parseSettings({ ...input, loadPattern: 'constant', targetQps: 1 } as BenchmarkSettingsInput);
    if (flags.findMaxGoodput === true && !parsed.slo.some((s) => s.kind === 'run'))
      throw new BadInputError(
        ErrorCode.invalidFlag,
        "--find-max-goodput needs a percentile SLO in --slo to decide each step, e.g. --slo 'p99(ttft)<=500ms' (per-request SLOs such as ttft:200ms give goodput, not a pass/fail)",
      );
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
        maxErrorRate: flags.findMaxGoodput === true ? undefined : parsed.sweepMaxErrorRate,
        maxSloMissRate: parsed.sweepMaxSloMissRate,
      },
      { out: process.stdout, err: process.stderr, handleSignals: true },
    );
    process.exitCode = result.exitCode;
  });
}
