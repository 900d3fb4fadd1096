#!/usr/bin/env node
/** The `llm-loadgen` program: commands, and the one place errors become exit codes. */
import { Command, CommanderError } from 'commander';
import { ExitCode, LoadgenError } from '../errors.js';
import { benchmarkCommand } from './benchmark-command.js';
import { infoCommand, initCommand, validateCommand } from './config-commands.js';
import { demoCommand } from './demo-command.js';
import { probeCommand } from './probe-command.js';
import { serveCommand } from './serve-command.js';
import { sweepCommand } from './sweep-command.js';
import { mergeCommand } from './merge-command.js';
import { compareCommand } from './compare-command.js';
import { exportCommand } from './export-command.js';
import { reportCommand } from './report-command.js';
import { runsCommand } from './runs-command.js';

export function buildProgram(): Command {
  const program = new Command('llm-loadgen')
    .description(
      'Load generator and benchmark for OpenAI-compatible LLM inference endpoints: TTFT, TPOT, ITL, latency, throughput.',
    )
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)');
  program.addCommand(benchmarkCommand());
  program.addCommand(sweepCommand());
  program.addCommand(probeCommand());
  program.addCommand(serveCommand());
  program.addCommand(demoCommand());
  program.addCommand(initCommand());
  program.addCommand(validateCommand());
  program.addCommand(infoCommand());
  // Commands on stored runs (issue 10).
  program.addCommand(runsCommand());
  program.addCommand(mergeCommand());
  program.addCommand(reportCommand());
  program.addCommand(exportCommand());
  program.addCommand(compareCommand());
  // Usage errors exit 2 (bad input), like every other input problem.
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version "errors" are successes; commander already printed the message.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
    }
    if (err instanceof LoadgenError) {
      process.stderr.write(`error [${err.code}]: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`internal error: ${(err as Error).stack ?? String(err)}\n`);
    return ExitCode.internal;
  }
}

const code = await main(process.argv);
// Exit explicitly: a finished command must not wait on idle sockets or timers. Writes to
// stdout/stderr are synchronous for files, pipes and terminals on Linux, so nothing is lost.
process.exit(code);
