/**
 * A SIGKILL of the main process mid-run loses at most about a second of records, and
 * `llm-loadgen report RUN` then rebuilds the summary of what was stored (state `incomplete`); the
 * other commands on stored runs work on it too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { REPORT_FILES } from '../../src/report/report-files.js';
import path from 'node:path';
import { assertExit, readJson, readJsonl, runCli, spawnCli, withMock, withTemp, cli } from '../cli/cli-process.js';
import type { ResultSummary } from '../../src/metrics/result-summary.js';
import { ResultsStore } from '../../src/store/results-store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kill -9 mid-run: the records up to ~1 s before the kill are stored, and report RUN summarizes them as incomplete', async () => {
  await withMock({ ttftMs: 5, itlMs: 1, outputTokens: 10 }, (server) =>
    withTemp(async (tmp) => {
      const db = path.join(tmp.dir, 'results.duckdb');
      const reportDir = path.join(tmp.dir, 'run');
      const { child, finished } = spawnCli(
        cli`
          benchmark online --endpoints ${server.url} --model m --load-pattern concurrency --concurrency 8
          --duration 30s --workers 1 --report-dir ${reportDir} --results-db ${db} --label case=kill
        `,
        { timeoutMs: 60_000 },
      );
      // Wait until requests flow, let the run go for a while, then note what the server had got.
      const t0 = Date.now();
      while (server.stats().completionRequests < 200 && Date.now() - t0 < 30_000) await sleep(50);
      await sleep(1500);
      const receivedBefore = server.stats().completionRequests;
      // Each answer takes ~15 ms: everything received 1.1 s before the kill had ended 1 s before it.
      await sleep(1100);
      child.kill('SIGKILL');
      const killed = await finished;
      assert.equal(killed.signal, 'SIGKILL');
      const receivedAtKill = server.stats().completionRequests;

      const store = await ResultsStore.open(db);
      let stored: number;
      try {
        const [run] = await store.listRuns();
        assert.equal(run.state, 'running', 'nobody marked the killed run');
        stored = run.storedRequests;
      } finally {
        store.close();
      }
      assert.ok(
        stored >= receivedBefore - 8 && stored <= receivedAtKill,
        `stored ${stored}; the server had received ${receivedBefore} by 1.1 s before the kill (8 in flight), ${receivedAtKill} at it`,
      );

      const report = await runCli(['report', reportDir, '--results-db', db, '--records', 'jsonl'], {
        timeoutMs: 60_000,
      });
      assertExit(report, 0);
      assert.match(report.stdout, /incomplete/);
      const summary = await readJson<ResultSummary>(path.join(reportDir, REPORT_FILES.summary));
      assert.equal(summary.state, 'incomplete');
      assert.equal(summary.complete, false);
      assert.equal(summary.n_samples_issued, stored);
      assert.ok(summary.n_samples_completed > 0 && summary.ttft.median !== null && summary.ttft.median > 0);
      assert.ok(summary.duration_ns > 1e9, `duration ${summary.duration_ns} ns covers the stored part`);
      assert.equal((await readJsonl(path.join(reportDir, REPORT_FILES.records))).length, stored);
      for (const f of [REPORT_FILES.config, REPORT_FILES.text, REPORT_FILES.summary, REPORT_FILES.summaryCsv]) {
        await access(path.join(reportDir, f));
      }
      // The killed run never wrote report.html: report RUN does, from the stored records.
      const html = await readFile(path.join(reportDir, REPORT_FILES.html), 'utf8');
      assert.match(html, /incomplete/);
      assert.ok(html.includes(String(summary.n_samples_issued)), 'the page shows the stored request count');

      // The run is listed with its new state and label; export and compare work on it.
      const runs = await runCli(['runs', '--results-db', db, '--label', 'case=kill'], { timeoutMs: 30_000 });
      assertExit(runs, 0);
      assert.match(runs.stdout, /incomplete/);
      assert.match(runs.stdout, /case=kill/);
      const none = await runCli(['runs', '--results-db', db, '--label', 'case=other'], { timeoutMs: 30_000 });
      assert.match(none.stdout, /no runs match/);
      const csv = path.join(tmp.dir, 'out.csv');
      const exported = await runCli(['export', 'latest', '--results-db', db, '--format', 'csv', '--output', csv], {
        timeoutMs: 30_000,
      });
      assertExit(exported, 0);
      assert.equal((await readFile(csv, 'utf8')).trim().split('\n').length, stored + 1);
      const compared = await runCli(['compare', 'latest', reportDir, '--results-db', db], { timeoutMs: 30_000 });
      assertExit(compared, 0);
      assert.match(compared.stdout, /Mann–Whitney U/);
      assert.match(compared.stdout, /TTFT p50/);
      const missing = await runCli(['report', 'nosuchrun', '--results-db', db], { timeoutMs: 30_000 });
      assertExit(missing, 2);
      assert.match(missing.stderr, /run_not_found/);
    }),
  );
});
