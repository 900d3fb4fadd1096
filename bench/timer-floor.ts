/**
 * The machine's wake-up floor (bench/timer-floor.c) from the benches: compiled once per process
 * with the system's C compiler into a temporary directory, run pinned to the client's core.
 * `null` (with the reason on stderr) when there is no compiler: the bench still runs, without it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TimerFloor {
  wakes: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  p999_ms: number;
  max_ms: number;
  /** This bare loop's own CPU per wake-up, µs: what waking costs on this machine before any work. */
  cpu_us_per_wake: number;
}

const source = path.join(path.dirname(fileURLToPath(import.meta.url)), 'timer-floor.c');
let binary: string | null | undefined;

function build(): string | null {
  if (binary !== undefined) return binary;
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'llmlg-timer-floor-')), 'timer-floor');
  const cc = spawnSync(process.env.CC ?? 'cc', ['-O2', '-o', out, source, '-lm'], { encoding: 'utf8' });
  if (cc.status !== 0) {
    process.stderr.write(`timer floor not measured: cc failed (${cc.error?.message ?? cc.stderr.trim()})\n`);
    binary = null;
  } else binary = out;
  return binary;
}

/** Poisson wake-ups at `rate` per second for `seconds` on `core`: how late each one was. */
export function timerFloor(core: string, rate: number, seconds: number): TimerFloor | null {
  const bin = build();
  if (bin === null) return null;
  const r = spawnSync('taskset', ['-c', core, bin, String(rate), String(seconds)], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  });
  if (r.status !== 0) {
    process.stderr.write(`timer floor failed (${r.status}): ${r.stderr.trim()}\n`);
    return null;
  }
  return JSON.parse(r.stdout.trim()) as TimerFloor;
}
