/**
 * Hosts of one run start together: at `--start-at` (a wall-clock time every host is told), or at
 * the time a start barrier on a shared volume hands out (`--start-barrier DIR`: each host writes
 * `ready-<i>`; when all N are there, host 0 writes `start` with a time a few seconds ahead; every
 * host reads it). Each host then starts its clock at that wall-clock instant, and records how late
 * it actually was: hosts whose clocks disagree start apart, and the merge says so.
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostShard } from './host-shard.js';

/** How far ahead host 0 sets the start once every host is ready: time to read the file and arm. */
export const BARRIER_LEAD_MS = 3000;
/** How often a waiting host looks at the barrier directory (a shared volume: keep it cheap). */
const POLL_MS = 100;

/** `2026-12-01T12:00:00Z`, or `@1796124000` (epoch seconds). Throws Error for the user. */
export function parseStartAt(text: string): number {
  const epoch = /^@(\d+(?:\.\d+)?)$/.exec(text.trim());
  const ms = epoch !== null ? Number(epoch[1]) * 1000 : Date.parse(text);
  if (!Number.isFinite(ms))
    throw new Error(`"${text}" is not a time: use ISO 8601 with a zone (2026-12-01T12:00:00Z) or @<epoch seconds>`);
  if (epoch === null && !/(Z|[+-]\d\d:?\d\d)$/i.test(text.trim()))
    throw new Error(`"${text}" has no time zone: every host must read the same instant, so end it with Z or +hh:mm`);
  return ms;
}

/** Wall-clock now in ms with sub-ms resolution (Date.now() has 1 ms steps). */
export function wallNowMs(): number {
  return performance.timeOrigin + performance.now();
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, file);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The start time from a barrier directory (wall-clock ms). Every host calls it; it resolves when
 * host 0 has written the start. Throws after `timeoutMs` naming the hosts not ready.
 */
export async function barrierStartMs(dir: string, host: HostShard, timeoutMs: number): Promise<number> {
  await mkdir(dir, { recursive: true });
  await writeAtomic(path.join(dir, `ready-${host.index}`), `${new Date(wallNowMs()).toISOString()}\n`);
  const startFile = path.join(dir, 'start');
  const deadline = wallNowMs() + timeoutMs;
  for (;;) {
    const text = await readFile(startFile, 'utf8').catch(() => null);
    if (text !== null) return parseStartAt(text.trim());
    const names = await readdir(dir);
    const ready = new Set(names.filter((n) => /^ready-\d+$/.test(n)).map((n) => Number(n.slice(6))));
    if (host.index === 0 && ready.size >= host.count) {
      const at = new Date(wallNowMs() + BARRIER_LEAD_MS).toISOString();
      await writeAtomic(startFile, `${at}\n`);
      return parseStartAt(at);
    }
    if (wallNowMs() > deadline) {
      const missing = Array.from({ length: host.count }, (_, i) => i).filter((i) => !ready.has(i));
      throw new Error(
        `start barrier ${dir}: after ${Math.round(timeoutMs / 1000)} s, host(s) ${missing.join(', ')} of ${host.count} are not ready` +
          (missing.length === 0 ? ' (waiting for host 0 to write the start)' : ''),
      );
    }
    await sleep(POLL_MS);
  }
}

/** Resolves at `atMs` on the wall clock (a timer to ~2 ms before, then short waits). */
export async function waitUntilWallMs(atMs: number): Promise<void> {
  for (;;) {
    const left = atMs - wallNowMs();
    if (left <= 0) return;
    await sleep(left > 4 ? left - 2 : 0);
  }
}
