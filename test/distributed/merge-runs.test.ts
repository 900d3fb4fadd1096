/**
 * `llm-loadgen merge` of two hosts (--shard 0/2 and 1/2, started by a barrier) is one run: from
 * their report directories or from their results databases the summary is the same, its counts
 * are a one-host run's of the same seed and load, and its percentiles are those of the union of
 * the hosts' records. Hosts given different runs are refused by the merge (at the barrier:
 * host-config-check.test.ts); hosts whose clocks disagree, or that started late, are warned about.
 */
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mergeRuns } from '../../src/distributed/merge-runs.js';
import { LoadgenError } from '../../src/errors.js';
import { PERCENTILE_KEYS, percentileOfSorted } from '../../src/metrics/percentiles.js';
import { REPORT_FILES } from '../../src/report/report-files.js';
import { startMockServer, type RunningMockServer } from '../../src/servers/mock-openai-server.js';
import { describeResult, makeTempDir, readJson, readJsonl, runCli, type TempDir } from '../cli/cli-process.js';

const LOAD = [
  '--concurrency',
  '4',
  '--num-samples',
  '40',
  '--scheduler-random-seed',
  '7',
  '--streaming',
  'on',
  '--max-output-tokens',
  '8',
];

interface Summary {
  n_samples_issued: number;
  n_samples_completed: number;
  n_samples_failed: number;
  ttft: { percentiles: Record<string, number>; total: number };
  latency: { percentiles: Record<string, number> };
  client_wait: { percentiles: Record<string, number> };
  output_sequence_lengths: { total: number };
  hosts: {
    index: number;
    hostname: string | null;
    source_addresses: string[];
    requests: number;
    shard_cpu_share_max: number | null;
    event_loop_delay_p99_ns: number | null;
    schedule_lag_p99_ns: number | null;
    client_wait_p99_ns: number | null;
    source: string;
  }[];
  warnings: string[];
  test_started_at: number;
}

function percentilesOf(values: number[]): Record<string, number> {
  const sorted = Float64Array.from(values).sort();
  return Object.fromEntries(PERCENTILE_KEYS.map((k) => [k, percentileOfSorted(sorted, Number(k))]));
}

describe('merge of the hosts of one run', () => {
  let server: RunningMockServer;
  let tmp: TempDir;
  let single: Summary;
  let runIds: string[];
  const dirs = [0, 1].map((i) => `host-${i}`);
  const dbs = [0, 1].map((i) => `host-${i}.duckdb`);
  const at = (p: string) => path.join(tmp.dir, p);

  function benchmark(extra: string[], label: string) {
    return runCli(
      [
        'benchmark',
        'online',
        '--endpoints',
        server.url,
        '--model',
        'm',
        ...LOAD,
        ...extra,
        '--report-dir',
        at(label),
        '--results-db',
        at(`${label}.duckdb`),
      ],
      { timeoutMs: 60_000 },
    );
  }

  before(async () => {
    server = await startMockServer({ outputTokens: 4, ttftMs: 2, itlMs: 1 });
    tmp = await makeTempDir('llm-loadgen-merge-');
    const one = await benchmark(['--workers', '2'], 'single');
    assert.equal(one.code, 0, describeResult(one));
    single = await readJson<Summary>(path.join(at('single'), REPORT_FILES.summary));
    const runs = await Promise.all(
      [0, 1].map((i) =>
        benchmark(['--workers', '1', '--shard', `${i}/2`, '--start-barrier', at('barrier')], `host-${i}`),
      ),
    );
    for (const r of runs) assert.equal(r.code, 0, describeResult(r));
    // "report written to …; run 6d6b8a50 in …/host-0.duckdb"
    runIds = runs.map((r) => /; run (\S+) in /.exec(r.stderr)![1]);
  });
  after(async () => {
    await server.close();
    await tmp.cleanup();
  });

  async function merge(sources: string[], label: string, extra: string[] = []) {
    const r = await runCli(['merge', ...sources.map(at), '--report-dir', at(label), ...extra], { timeoutMs: 60_000 });
    return { r, summary: r.code === 0 ? await readJson<Summary>(path.join(at(label), REPORT_FILES.summary)) : null };
  }

  test('from directories and from results databases: the same summary, the one-host counts, the union’s percentiles', async () => {
    const fromDirs = await merge(dirs, 'merged-dirs');
    assert.equal(fromDirs.r.code, 0, describeResult(fromDirs.r));
    const fromDbs = await merge(dbs, 'merged-dbs');
    assert.equal(fromDbs.r.code, 0, describeResult(fromDbs.r));
    const a = fromDirs.summary!;
    const b = fromDbs.summary!;
    // Counts: exactly a one-host run's of the same seed and load.
    for (const s of [a, b]) {
      assert.equal(s.n_samples_issued, single.n_samples_issued);
      assert.equal(s.n_samples_completed, single.n_samples_completed);
      assert.equal(s.n_samples_failed, single.n_samples_failed);
      assert.equal(s.output_sequence_lengths.total, single.output_sequence_lengths.total);
    }
    // Percentiles: those of the union of the hosts' records.
    const rows = [
      ...(await readJsonl(path.join(at(dirs[0]), REPORT_FILES.records))),
      ...(await readJsonl(path.join(at(dirs[1]), REPORT_FILES.records))),
    ];
    assert.equal(rows.length, 40);
    assert.deepEqual(a.ttft.percentiles, percentilesOf(rows.map((r) => Number(r.ttft_ns))));
    assert.deepEqual(a.latency.percentiles, percentilesOf(rows.map((r) => Number(r.latency_ns))));
    assert.deepEqual(a.client_wait.percentiles, percentilesOf(rows.map((r) => Number(r.client_wait_ns))));
    // Directories and databases: one summary (but for where each host came from).
    const strip = (s: Summary) => ({ ...s, hosts: s.hosts.map((h) => ({ ...h, source: '' })) });
    assert.deepEqual(strip(b), strip(a));
    assert.match(b.hosts[1].source, /host-1\.duckdb#/);
    // The host table: each host's client health, not only its warnings.
    assert.deepEqual(
      a.hosts.map((h) => [h.index, h.requests]),
      [
        [0, 20],
        [1, 20],
      ],
    );
    for (const h of a.hosts) {
      assert.ok(h.hostname !== null && h.hostname !== '');
      assert.deepEqual(h.source_addresses, ['127.0.0.1']);
      assert.ok(h.shard_cpu_share_max !== null && h.shard_cpu_share_max > 0, 'shard CPU share');
      assert.ok(h.client_wait_p99_ns !== null && h.schedule_lag_p99_ns !== null);
    }
    const text = await readFile(path.join(at('merged-dbs'), REPORT_FILES.text), 'utf8');
    assert.match(text, /Hosts\n {2}host {2}hostname .*cpu max {2}loop p99 ms {2}lag p99 ms {2}wait p99 ms/);
    assert.match(text, /\n {5}1 {2}\S+ +127\.0\.0\.1 +20 +0 /);
    // report.html: the union's run page with the host table in it.
    const html = await readFile(path.join(at('merged-dbs'), REPORT_FILES.html), 'utf8');
    assert.match(
      html,
      /<h2>Hosts<\/h2><table class="hosts">.*<th>busiest shard CPU<\/th>.*<th>client wait p99 \(ms\)<\/th>/s,
    );
    assert.match(html, /<tr><td>1<\/td><td>[^<]+<\/td><td>127\.0\.0\.1<\/td><td>20<\/td><td>0<\/td>/);
    // Its config section: each host's config.yaml, headed by which host it is.
    for (const [label, source] of [
      ['merged-dbs', dbs],
      ['merged-dirs', dirs],
    ] as const) {
      const page = await readFile(path.join(at(label), REPORT_FILES.html), 'utf8');
      const config = /<pre class="config">([^<]*)<\/pre>/.exec(page)?.[1] ?? '';
      for (let i = 0; i < 2; i++) {
        assert.ok(config.includes(`# host ${i}: `) && config.includes(source[i]), `${label}: host ${i}'s config`);
        assert.match(config, new RegExp(`shard: ${i}/2|--shard ${i}/2|${i}/2`), `${label}: host ${i}'s --shard`);
      }
    }
  });

  test('--run picks a run in each database; an id in none of them is exit 2', async () => {
    const [id0, id1] = runIds;
    const picked = await merge(dbs, 'merged-run', ['--run', id0, '--run', id1]);
    assert.equal(picked.r.code, 0, describeResult(picked.r));
    assert.equal(picked.summary!.n_samples_issued, 40);
    const wrong = await merge(dbs, 'merged-wrong', ['--run', 'no-such-run']);
    assert.equal(wrong.r.code, 2, describeResult(wrong.r));
    assert.match(wrong.r.stderr, /--run no-such-run: in none of/);
  });

  test('hosts given different runs are refused, naming what differs; clocks that disagree are warned about', async () => {
    await cp(at(dirs[1]), at('host-1-other'), { recursive: true });
    const file = path.join(at('host-1-other'), REPORT_FILES.summary);
    const s = JSON.parse(await readFile(file, 'utf8')) as {
      host: { fingerprint: Record<string, unknown>; clock_offset_ms: number | null };
    };
    const original = JSON.stringify(s);
    s.host.fingerprint.shards_per_host = 3;
    s.host.fingerprint.scheduler_seed = 8;
    await writeFile(file, JSON.stringify(s));
    // In process (the CLI exits 2 for this BadInputError): each merge here is ~1 s, not a process start.
    const pair = [at(dirs[0]), at('host-1-other')];
    await assert.rejects(mergeRuns(pair), (err: LoadgenError) => {
      assert.equal(err.code, 'hosts_disagree');
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /not given the same run/);
      assert.match(err.message, /shards per host \(--workers\) differs \(host 0: 1; host 1: 3\)/);
      assert.match(err.message, /--scheduler-random-seed differs \(host 0: 7; host 1: 8\)/);
      return true;
    });

    // The same host with its clock 300 ms off the barrier volume's: merged, with a warning.
    const skewed = JSON.parse(original) as typeof s;
    assert.equal(typeof skewed.host.clock_offset_ms, 'number', 'the barrier measured the clock');
    skewed.host.clock_offset_ms = (skewed.host.clock_offset_ms ?? 0) - 300;
    await writeFile(file, JSON.stringify(skewed));
    const warned = await mergeRuns(pair);
    assert.ok(
      warned.summary.warnings.some((w) => /the hosts' clocks disagree by (2[5-9]\d|3[0-4]\d) ± \d+ ms/.test(w)),
      warned.summary.warnings.join('\n'),
    );
    // A host that started 120 ms after the agreed start by its own clock.
    const late = JSON.parse(original) as typeof s & { host: { start_lateness_ms: number } };
    late.host.start_lateness_ms = 120;
    await writeFile(file, JSON.stringify(late));
    const lateMerge = await mergeRuns(pair);
    assert.ok(
      lateMerge.summary.warnings.some((w) => /host 1 \(120 ms\) started more than 50 ms from the agreed start/.test(w)),
      lateMerge.summary.warnings.join('\n'),
    );
    const fine = await mergeRuns(dirs.map(at));
    assert.ok(
      !fine.summary.warnings.some((w) => /clocks disagree|from the agreed start/.test(w)),
      fine.summary.warnings.join('\n'),
    );
  });
});
