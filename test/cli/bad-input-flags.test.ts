/**
 * Bad flag values through the real CLI: every numeric flag of every command (read from its
 * --help, so new flags are covered as they are added) with a negative, zero, NaN and huge value.
 * Each exits 2 naming the flag, with no stack trace — unless --help documents the value (its
 * default, or "-1 = auto", "0 = never", "0 picks a free one"): then it is accepted (the
 * commands that would then run against a closed port exit 3 instead).
 *
 * The table runs through main() in one child process (in-process-cli.ts); a sample of it runs
 * as real `llm-loadgen` processes too, and must give the same exit codes and messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closedPort, describeResult, runCli, type CliResult, cli } from './cli-process.js';
import { runInProcess } from './in-process-runner.js';

interface FlagHelp {
  flag: string;
  placeholder: string;
  description: string;
}

/** Options listed by `<command> --help`, descriptions joined across wrapped lines. */
function parseHelp(help: string): FlagHelp[] {
  const out: FlagHelp[] = [];
  for (const line of help.split('\n')) {
    const m = /^\s{2}(?:-\w, )?(--[\w-]+)(?: <(\w+)>)?\s+(.*)$/.exec(line);
    if (m) out.push({ flag: m[1], placeholder: m[2] ?? '', description: m[3] });
    else if (/^\s{6,}\S/.test(line) && out.length > 0) out[out.length - 1].description += ' ' + line.trim();
  }
  return out;
}

/** Placeholders that stand for a number (counts, rates, durations, milliseconds, ports). */
const NUMERIC = new Set(['n', 'qps', 'duration', 'ms', 'count', 'bytes', 'size', 'rate', 'port', 'seconds']);

/** One value per class; huge is beyond what the flag can mean (2^53 and more, or > 24 days). */
function valuesFor(placeholder: string): { label: string; value: string }[] {
  return [
    { label: 'negative', value: '-1' },
    { label: 'zero', value: '0' },
    { label: 'NaN', value: 'NaN' },
    { label: 'huge', value: placeholder === 'duration' ? '99999999h' : placeholder === 'qps' ? '1e400' : '1e20' },
  ];
}

/** Does --help say this value is meaningful for the flag? */
function documented(f: FlagHelp, value: string): boolean {
  const d = f.description;
  const def = /\(default: "?([^")]*)"?\)/.exec(d);
  if (def && def[1] === value) return true;
  const v = value.replace('-', '\\-');
  if (new RegExp(`(^|[\\s(;,])${v} (=|picks|means|disables)`).test(d)) return true;
  return false;
}

interface Command {
  /** argv before the flag under test. */
  argv: (flag: string) => string[];
  /** A valid value starts something that runs (a server): only invalid values are tried. */
  runsWhenValid: boolean;
  /** Flags whose every integer value is meaningful. */
  anyInteger?: string[];
}

async function commands(): Promise<Record<string, Command>> {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const bench = (mode: string) => (flag: string) => {
    const base = cli`benchmark ${mode} --endpoints ${url} --model m`;
    if (mode === 'offline') return [...base, '--num-samples', '2'];
    if (flag === '--target-qps') return [...base, '--num-samples', '2'];
    if (flag === '--concurrency') return [...base, '--num-samples', '2'];
    if (flag === '--num-samples' || flag === '--duration') return [...base, '--concurrency', '2'];
    return [...base, '--concurrency', '2', '--num-samples', '2'];
  };
  return {
    'benchmark online': {
      argv: bench('online'),
      runsWhenValid: false,
      anyInteger: ['--seed', '--scheduler-random-seed', '--dataloader-random-seed'],
    },
    probe: { argv: () => ['probe', '--endpoints', url, '--model', 'm'], runsWhenValid: false },
    serve: { argv: () => ['serve', '--port', '0'], runsWhenValid: true },
    demo: { argv: () => ['demo', '--duration', '1s'], runsWhenValid: true },
  };
}

interface Case {
  command: string;
  args: string[];
  flag: string;
  label: string;
  valid: boolean;
}

let cached: Promise<Case[]> | undefined;

/** The table (its --help runs once per file). */
function allCases(): Promise<Case[]> {
  cached ??= buildCases();
  return cached;
}

async function buildCases(): Promise<Case[]> {
  const cmds = await commands();
  const cases: Case[] = [];
  const helps = await runInProcess(Object.keys(cmds).map((name) => [...name.split(' '), '--help']));
  for (const [i, [name, cmd]] of Object.entries(cmds).entries()) {
    const help = helps[i];
    assert.equal(help.code, 0, describeResult(help));
    const flags = parseHelp(help.stdout).filter((f) => NUMERIC.has(f.placeholder));
    assert.ok(flags.length > 0, `${name}: no numeric flags found in --help`);
    for (const f of flags) {
      for (const { label, value } of valuesFor(f.placeholder)) {
        const valid = documented(f, value) || (cmd.anyInteger?.includes(f.flag) === true && /^-?\d+$/.test(value));
        if (valid && cmd.runsWhenValid) continue;
        // The flag under test last: it overrides a base value of the same flag.
        cases.push({ command: name, args: [...cmd.argv(f.flag), `${f.flag}=${value}`], flag: f.flag, label, valid });
      }
    }
  }
  return cases;
}

function check(c: Case, r: CliResult): string | null {
  const what = `${c.command} ${c.flag} ${c.label} (${c.args.at(-1)}): ${describeResult(r)}`;
  if (c.valid) return r.code === 2 ? `documented value rejected: ${what}` : null;
  if (r.code !== 2) return `expected exit 2: ${what}`;
  if (!r.stderr.includes(c.flag)) return `message does not name ${c.flag}: ${what}`;
  if (/internal error|\n\s+at .*:\d+:\d+/.test(r.stderr)) return `stack trace: ${what}`;
  return null;
}

/** Runs every case and returns the failures. */
async function runAll(cases: Case[]): Promise<string[]> {
  const results = await runInProcess(cases.map((c) => c.args));
  return cases.map((c, i) => check(c, results[i])).filter((f): f is string => f !== null);
}

/** Failing today (todo tests below); kept out of the main test so that it guards everything else. */

test(
  'every numeric flag: negative, zero, NaN and huge values exit 2 naming the flag',
  { timeout: 240_000 },
  async () => {
    const cases = await allCases();
    assert.ok(cases.length >= 60, `only ${cases.length} cases`);
    // The table reads --help right: documented values are valid, the rest is not.
    const kind = (flag: string, label: string) => cases.find((c) => c.flag === flag && c.label === label)?.valid;
    assert.equal(kind('--max-connections', 'negative'), true, '-1 = auto');
    assert.equal(kind('--warmup-connections', 'zero'), true, '0 = none');
    assert.equal(kind('--request-timeout', 'zero'), true, '0 = never');
    assert.equal(kind('--concurrency', 'zero'), false);
    assert.equal(kind('--target-qps', 'huge'), false);
    const failures = await runAll(cases);
    assert.deepEqual(failures, [], failures.join('\n\n'));
  },
);

test('unknown flags and flags without their value exit 2 naming the flag', { timeout: 60_000 }, async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const cases: { args: string[]; flag: string }[] = [
    { args: cli`benchmark online --endpoints ${url} --model m --concurency 2`, flag: '--concurency' },
    { args: cli`benchmark offline --endpoints ${url} --model m -x`, flag: '-x' },
    { args: ['probe', '--endpoints', url, '--model', 'm', '--request', '2'], flag: '--request' },
    { args: ['serve', '--prot', '1'], flag: '--prot' },
    { args: cli`benchmark online --endpoints ${url} --model m --concurrency`, flag: '--concurrency' },
    { args: ['benchmark', 'online', '--endpoints', url, '--model'], flag: '--model' },
  ];
  const results = await runInProcess(cases.map((c) => c.args));
  cases.forEach((c, i) => {
    const r = results[i];
    assert.equal(r.code, 2, describeResult(r));
    assert.ok(r.stderr.includes(c.flag), `names ${c.flag}: ${describeResult(r)}`);
    assert.doesNotMatch(r.stderr, /internal error/);
  });
});

test(
  'the in-process table gives what real processes give (one valid and one invalid case per command)',
  { timeout: 120_000 },
  async () => {
    const all = await allCases();
    const seen = new Set<string>();
    const sample = all.filter((c) => {
      const key = `${c.command} ${c.valid}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    assert.ok(sample.length >= 5, `only ${sample.length} sampled cases`);
    const inProcess = await runInProcess(sample.map((c) => c.args));
    for (let i = 0; i < sample.length; i += 4) {
      const batch = sample.slice(i, i + 4);
      const real = await Promise.all(batch.map((c) => runCli(c.args, { timeoutMs: 30_000 })));
      batch.forEach((c, j) => {
        const a = inProcess[i + j];
        const b = real[j];
        // The demo's mock endpoint gets a new port each run.
        const norm = (t: string) => t.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT');
        const what = `${c.args.join(' ')}\nin-process: ${describeResult(a)}\nreal: ${describeResult(b)}`;
        assert.equal(a.code, b.code, what);
        assert.equal(norm(a.stderr), norm(b.stderr), what);
      });
    }
  },
);
