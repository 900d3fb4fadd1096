/**
 * Hosts of one run start together: at `--start-at` (a wall-clock time every host is told), or at
 * the time a start barrier on a shared volume hands out (`--start-barrier DIR`: each host writes
 * `ready-<i>`; when all N are there, host 0 writes `start` with a time a few seconds ahead; every
 * host reads it). Each host then starts its clock at that wall-clock instant, and records how late
 * it actually was, and (at a barrier) how far its clock is from the shared volume's: the merge
 * warns when hosts started apart or their clocks disagree. Each ready file carries the host's run
 * fingerprint; host 0 refuses to start hosts that were given different runs.
 */
import { mkdir, open, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError, ErrorCode } from '../errors.js';
import type { HostShard } from './host-shard.js';
import { compareFingerprints, type RunFingerprint } from './run-fingerprint.js';

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

/** What a host learns at the barrier: the start, and its clock against the shared volume's. */
export interface BarrierStart {
  /** The agreed start, wall-clock ms. */
  atMs: number;
  /**
   * The volume's clock minus this host's, ms: the mtime the file system gave this host's ready
   * file against this host's clock when it wrote it (on NFS the server sets mtimes, so hosts whose
   * clocks disagree measure different offsets; a local file system's coarse clock is ~4 ms behind).
   */
  clockOffsetMs: number;
  /** Half the time the write took: the offset is right to within this. */
  clockErrorMs: number;
}

/**
 * Writes the ready file (atomically) and reads the mtime the file system stamped on it: the write
 * and its flush (an NFS client sends the data, and the server stamps the time, at the flush) sit
 * between two readings of this host's clock, so the offset is right to within half that window.
 */
async function writeReadyFile(
  file: string,
  text: string,
  now: () => number,
): Promise<{ clockOffsetMs: number; clockErrorMs: number }> {
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await open(temp, 'w');
  let before: number;
  let after: number;
  let mtimeMs: number;
  try {
    before = now();
    await handle.write(text);
    await handle.datasync();
    after = now();
    mtimeMs = (await handle.stat()).mtimeMs;
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  return { clockOffsetMs: mtimeMs - (before + after) / 2, clockErrorMs: (after - before) / 2 };
}

/** What a host writes to its ready file: when it was ready and what run it was given. */
interface ReadyFile {
  ready_at: string;
  fingerprint?: RunFingerprint;
}

/** The `start` file's first word when host 0 refused to start the run. */
const REFUSED = 'refused:';

function refusal(dir: string, why: string): BadInputError {
  return new BadInputError(
    ErrorCode.hostsDisagree,
    `start barrier ${dir}: the hosts were not given the same run: ${why}. Give every host the same options (one config file), then start them again with a fresh barrier directory.`,
  );
}

async function readReady(dir: string, index: number): Promise<ReadyFile | null> {
  const text = await readFile(path.join(dir, `ready-${index}`), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as ReadyFile;
  } catch {
    // An older llm-loadgen wrote only the time.
    return { ready_at: text.trim() };
  }
}

/**
 * The start time from a barrier directory. Every host calls it; it resolves when host 0 has
 * written the start. Host 0 first compares the hosts' fingerprints and refuses (every host then
 * throws hosts_disagree naming what differs). Throws after `timeoutMs` naming the hosts not ready.
 * `now` is the host's wall clock (ms), given by the tests to play a host whose clock is off.
 */
export async function barrierStartMs(
  dir: string,
  host: HostShard,
  timeoutMs: number,
  fingerprint?: RunFingerprint,
  now: () => number = wallNowMs,
): Promise<BarrierStart> {
  await mkdir(dir, { recursive: true });
  const readyFile = path.join(dir, `ready-${host.index}`);
  const ready: ReadyFile = { ready_at: new Date(now()).toISOString(), fingerprint };
  const clock = await writeReadyFile(readyFile, `${JSON.stringify(ready)}\n`, now);
  const startFile = path.join(dir, 'start');
  const deadline = wallNowMs() + timeoutMs;
  for (;;) {
    const text = await readFile(startFile, 'utf8').catch(() => null);
    if (text !== null) {
      if (text.startsWith(REFUSED)) throw refusal(dir, text.slice(REFUSED.length).trim());
      return { atMs: parseStartAt(text.trim()), ...clock };
    }
    const names = await readdir(dir);
    const readyHosts = new Set(names.filter((n) => /^ready-\d+$/.test(n)).map((n) => Number(n.slice(6))));
    if (host.index === 0 && readyHosts.size >= host.count) {
      const hosts = await Promise.all(
        Array.from({ length: host.count }, async (_, index) => ({
          index,
          fingerprint: (await readReady(dir, index))?.fingerprint,
        })),
      );
      const differences = compareFingerprints(hosts);
      if (differences.refuse.length > 0) {
        const why = differences.refuse.join('; ');
        await writeAtomic(startFile, `${REFUSED} ${why}\n`);
        throw refusal(dir, why);
      }
      for (const w of differences.warn) process.stderr.write(`warning: start barrier: ${w}\n`);
      const at = new Date(wallNowMs() + BARRIER_LEAD_MS).toISOString();
      await writeAtomic(startFile, `${at}\n`);
      return { atMs: parseStartAt(at), ...clock };
    }
    if (wallNowMs() > deadline) {
      const missing = Array.from({ length: host.count }, (_, i) => i).filter((i) => !readyHosts.has(i));
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
