/**
 * A damaged results database (a block whose checksum does not match, as a kill inside a checkpoint
 * once left one: store-kill-checkpoint.test.ts) is named as such: the commands on stored runs exit
 * 2 with results_db_corrupt and say to move the file aside, and a benchmark run still runs and
 * stores itself in a database of its own in its report directory, saying where.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { ResultsStore } from '../../src/store/results-store.js';
import { assertExit, cli, runCli, withMock, withTemp } from '../cli/cli-process.js';
import { runMeta } from './store-fixture.js';

/** DuckDB's first block after its three 4 KiB headers: overwriting part of it breaks its checksum. */
const FIRST_BLOCK = 12288;

test('a damaged results database: commands exit 2 naming it, a benchmark stores itself apart', async () => {
  await withMock({ ttftMs: 1, itlMs: 1, outputTokens: 4 }, (server) =>
    withTemp(async (tmp) => {
      const db = path.join(tmp.dir, 'results.duckdb');
      const store = await ResultsStore.open(db);
      await store.createRun(runMeta('before'));
      store.close();
      const fd = await open(db, 'r+');
      await fd.write(Buffer.alloc(64, 0xab), 0, 64, FIRST_BLOCK + 100);
      await fd.close();

      const runs = await runCli(['runs', '--results-db', db], { timeoutMs: 30_000 });
      assertExit(runs, 2);
      assert.match(runs.stderr, /results_db_corrupt/);
      assert.match(runs.stderr, /is damaged/);
      assert.ok(runs.stderr.includes(`mv ${db} ${db}.corrupt`), runs.stderr);
      assert.doesNotMatch(runs.stderr, /Wait for the other llm-loadgen/);

      const reportDir = path.join(tmp.dir, 'run');
      const run = await runCli(
        cli`
          benchmark online --endpoints ${server.url} --model m --load-pattern concurrency --concurrency 2
          --num-samples 20 --workers 1 --report-dir ${reportDir} --results-db ${db}
        `,
        { timeoutMs: 60_000 },
      );
      assertExit(run, 0);
      const own = path.join(reportDir, REPORT_FILES.database);
      assert.match(run.stderr, /warning: --results-db .* is damaged/);
      assert.ok(run.stderr.includes(`This run is stored in ${own}`), run.stderr);
      const listed = await runCli(['runs', '--results-db', own], { timeoutMs: 30_000 });
      assertExit(listed, 0);
      assert.match(listed.stdout, /complete/);
    }),
  );
});
