/**
 * `--repeats N`: the same step N times, each a whole run with its own report in `repeat-<i>/`
 * under the report directory, then the headline figures' mean and 95 % CI across the repeats in
 * repeats_summary.json and repeats.txt beside them (and on the console). A repeat that fails
 * (exit 2, 3, 4, 130) ends the series: the combined files cover the repeats that ran.
 */
import path from 'node:path';
import type { BenchmarkSettingsInput } from '../config/benchmark-settings.js';
import { ExitCode } from '../errors.js';
import { formatRepeats, summarizeRepeats } from '../metrics/repeat-stats.js';
import type { ResultSummary } from '../metrics/result-summary.js';
import { REPORT_FILES, createReportDir, writeTextAtomically } from '../report/report-files.js';
import type { BenchmarkIo, BenchmarkResult } from './run-benchmark.js';

export async function runRepeats(
  input: BenchmarkSettingsInput,
  io: BenchmarkIo,
  runOne: (input: BenchmarkSettingsInput, io: BenchmarkIo) => Promise<BenchmarkResult>,
): Promise<BenchmarkResult> {
  const repeats = input.repeats ?? 1;
  const top = await createReportDir(input.reportDir, input.overwrite === true);
  const summaries: ResultSummary[] = [];
  const dirs: string[] = [];
  const codes: number[] = [];
  let exitCode: number = ExitCode.ok;
  for (let i = 1; i <= repeats; i++) {
    io.err.write(`repeat ${i} of ${repeats}\n`);
    const dir = path.join(top, `repeat-${i}`);
    const result = await runOne({ ...input, reportDir: dir, repeats: 1 }, io);
    codes.push(result.exitCode);
    if (result.summary !== null) {
      summaries.push(result.summary);
      dirs.push(dir);
    }
    if (exitCode === ExitCode.ok) exitCode = result.exitCode;
    // An SLO miss is a result, not a failure: the next repeat still measures.
    if (result.exitCode !== ExitCode.ok && result.exitCode !== ExitCode.sloFailed) break;
  }
  const combined = summarizeRepeats(summaries, dirs, codes.slice(0, dirs.length));
  const text = formatRepeats(combined);
  io.out.write(text);
  await writeTextAtomically(path.join(top, REPORT_FILES.repeatsSummary), JSON.stringify(combined, null, 2) + '\n');
  await writeTextAtomically(path.join(top, REPORT_FILES.repeatsText), text);
  io.err.write(`repeats written to ${top}/\n`);
  return { exitCode, summary: summaries.at(-1) ?? null, reportDir: top };
}
