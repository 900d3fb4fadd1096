/**
 * The results database: one DuckDB file per results directory (results/llm-loadgen.duckdb by
 * default, --results-db PATH), every run in it. Runs are written as they go — the `runs` row when
 * the run starts (state `running`), its request records while it runs (store-record-sink.ts), its
 * summary when it ends — so a run killed half-way is still there, and `llm-loadgen report RUN`
 * rebuilds its summary from what was stored (state `incomplete`).
 *
 * DuckDB lets one process open a file for writing at a time: a second llm-loadgen on the same file
 * gets results_db_unusable, saying to wait or to give it its own --results-db.
 */
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  DuckDBInstance,
  DOUBLE,
  INTEGER,
  LIST,
  VARCHAR,
  listValue,
  type DuckDBConnection,
  type DuckDBValue,
} from '@duckdb/node-api';
import { BadInputError, ErrorCode } from '../errors.js';
import type { ResultSummary } from '../metrics/result-summary.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './store-schema.js';

/** Where the database goes when --results-db is not given. */
export const DEFAULT_RESULTS_DB = path.join('results', 'llm-loadgen.duckdb');

/**
 * DuckDB's buffer pool cap. Its default (80 % of RAM) let the pool keep every block a run wrote:
 * the main process's RSS grew by ~10 MB/s at 460 req/s of 1024-token answers. Past the cap
 * written blocks are evicted (they are on disk) and big sorts spill to a temp file.
 */
const MEMORY_LIMIT = '256MB';
/**
 * WAL size at which a commit checkpoints (DuckDB's default 16 MB). A checkpoint runs inside the
 * sink's commit, on the main thread; at 16 MB a 300k-record fill paid 13.7–15.0 µs CPU per record
 * with commits of up to 2.4 s, at 64 MB 9.8–11.8 µs and up to 1.8 s (bench/store-summary.ts
 * --records 300000 --flush-every 1725, alternating). 1 GB was cheaper still (7–8 µs) but leaves
 * that much un-checkpointed data to hold under the 256 MB pool.
 */
const CHECKPOINT_THRESHOLD = '64MB';

/** `running` while the run goes; `incomplete` once `report` found it never finished (killed). */
export type StoredRunState = 'running' | 'complete' | 'interrupted' | 'failed' | 'incomplete';

/** What is known about a run when it starts. */
export interface RunMeta {
  id: string;
  name: string | null;
  labels: Record<string, string>;
  startedAt: Date;
  reportDir: string | null;
  endpoints: string[];
  model: string;
  mode: 'offline' | 'online';
  loadPattern: string | null;
  streaming: boolean;
  targetQps: number | null;
  shards: number;
  /** config.yaml's text: already secret-free (config/settings-yaml.ts writes secrets as ${VAR}). */
  configYaml: string;
  toolVersion: string;
  gitSha: string | null;
  host: string;
}

export interface StoredRun extends RunMeta {
  seq: number;
  state: StoredRunState;
  endedAt: Date | null;
  /** The run's zero on the monotonic clock; null when it was killed before the start. */
  startNs: number | null;
  endNs: number | null;
  portExhaustionEvents: number | null;
  clientCpuNs: number | null;
  summary: ResultSummary | null;
  /** Stored requests (counted from `requests`). */
  storedRequests: number;
}

export interface RunFinish {
  state: Exclude<StoredRunState, 'running'>;
  endNs: number;
  summary: ResultSummary;
  portExhaustionEvents?: number;
  clientCpuNs?: number;
}

export interface RunFilter {
  /** Every label must match. */
  labels?: Record<string, string>;
  since?: Date;
  limit?: number;
}

function unusable(file: string, why: string, cause?: unknown): BadInputError {
  return new BadInputError(
    ErrorCode.resultsDbUnusable,
    `--results-db ${file}: ${why}. ` +
      (/lock/i.test(why)
        ? 'Wait for the other llm-loadgen using it to end, or pass --results-db with another path.'
        : 'Pass --results-db with another path.'),
    { cause },
  );
}

/**
 * DuckDB's words for a file whose bytes it cannot trust: a block whose checksum does not match
 * ("Corrupt database file: computed checksum … in block at location …"), metadata cut short.
 * Seen here once in ~330 kills landing inside a checkpoint (test/store/store-kill-checkpoint.test.ts).
 */
const CORRUPT = /corrupt|MetadataReader/i;

/** True when `err` says the database file itself is damaged (not locked, not another version). */
export function isCorruptDatabase(err: unknown): boolean {
  return err instanceof BadInputError && err.code === ErrorCode.resultsDbCorrupt;
}

function corrupt(file: string, err: unknown): BadInputError {
  return new BadInputError(
    ErrorCode.resultsDbCorrupt,
    `--results-db ${file} is damaged and cannot be read (${firstLine(err)}). Its runs are lost to the ` +
      `commands on stored runs; each run's files in its report directory are not. Move it aside ` +
      `(mv ${file} ${file}.corrupt) and run again: a new database is made.`,
    { cause: err },
  );
}

/** A DuckDB error's first line, without its stack: "IO Error: Could not set lock on file …". */
function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}

export class ResultsStore {
  private constructor(
    readonly file: string,
    private readonly instance: DuckDBInstance,
    /** Statements (runs rows, queries); the record sink appends on a connection of its own. */
    readonly connection: DuckDBConnection,
  ) {}

  /** Opens (creating when absent) the database and its tables. */
  static async open(file: string): Promise<ResultsStore> {
    try {
      await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    } catch (err) {
      throw unusable(file, `cannot create its directory (${firstLine(err)})`, err);
    }
    let instance: DuckDBInstance;
    try {
      // Two threads: the host's other cores belong to the shards.
      instance = await DuckDBInstance.create(file, {
        threads: '2',
        memory_limit: MEMORY_LIMIT,
        checkpoint_threshold: CHECKPOINT_THRESHOLD,
      });
    } catch (err) {
      if (CORRUPT.test(firstLine(err))) throw corrupt(file, err);
      throw unusable(file, `cannot open it (${firstLine(err)})`, err);
    }
    const connection = await instance.connect();
    try {
      await connection.run(SCHEMA_SQL);
      const version = await connection.runAndReadAll(`SELECT value FROM store_meta WHERE key = 'schema_version'`);
      const rows = version.getRows();
      if (rows.length === 0) {
        await connection.run(`INSERT INTO store_meta VALUES ('schema_version', '${SCHEMA_VERSION}')`);
      } else if (rows[0][0] !== String(SCHEMA_VERSION)) {
        throw unusable(file, `its tables are version ${String(rows[0][0])}, this llm-loadgen writes ${SCHEMA_VERSION}`);
      }
    } catch (err) {
      connection.closeSync();
      instance.closeSync();
      if (err instanceof BadInputError) throw err;
      if (CORRUPT.test(firstLine(err))) throw corrupt(file, err);
      throw unusable(file, `cannot set up its tables (${firstLine(err)})`, err);
    }
    return new ResultsStore(file, instance, connection);
  }

  /** Opens a database that must exist already (the commands on stored runs). */
  static async openExisting(file: string): Promise<ResultsStore> {
    try {
      await access(file);
    } catch {
      throw new BadInputError(
        ErrorCode.runNotFound,
        `no results database at ${file}: run a benchmark first, or point --results-db at the file (a run that found the shared one in use has its own in its report directory).`,
      );
    }
    return ResultsStore.open(file);
  }

  /** A fresh connection on the same database (the record sink's). */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /** True when no run has this id yet. */
  async idIsFree(id: string): Promise<boolean> {
    const r = await this.connection.runAndReadAll('SELECT 1 FROM runs WHERE id = $1', [id]);
    return r.currentRowCount === 0;
  }

  /** Inserts the run's row (state `running`); returns its sequence number. */
  async createRun(meta: RunMeta): Promise<number> {
    const keys = Object.keys(meta.labels);
    const values: DuckDBValue[] = [
      meta.id,
      meta.name,
      listValue(keys),
      listValue(keys.map((k) => meta.labels[k])),
      meta.startedAt.toISOString(),
      meta.reportDir,
      listValue(meta.endpoints),
      meta.model,
      meta.mode,
      meta.loadPattern,
      meta.streaming,
      meta.targetQps,
      meta.shards,
      meta.configYaml,
      meta.toolVersion,
      meta.gitSha,
      meta.host,
    ];
    const r = await this.connection.runAndReadAll(
      `INSERT INTO runs (id, name, labels, state, started_at, report_dir, endpoints, model, mode, load_pattern,
         streaming, target_qps, shards, config_yaml, tool_version, git_sha, host)
       VALUES ($1, $2, map($3, $4), 'running', $5::TIMESTAMPTZ, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
       RETURNING seq`,
      values,
      [VARCHAR, VARCHAR, LIST(VARCHAR), LIST(VARCHAR), VARCHAR, VARCHAR, LIST(VARCHAR)],
    );
    return Number(r.getRows()[0][0]);
  }

  /** The schedule's common start, once the shards have it: what a killed run's summary is measured from. */
  async markStarted(seq: number, startNs: number): Promise<void> {
    await this.connection.run('UPDATE runs SET start_ns = $1 WHERE seq = $2', [startNs, seq], [DOUBLE, INTEGER]);
  }

  async finishRun(seq: number, f: RunFinish): Promise<void> {
    const s = f.summary;
    const p = (v: number | null | undefined) => (v === undefined ? null : v);
    await this.connection.run(
      `UPDATE runs SET state = $1, ended_at = now(), end_ns = $2, n_issued = $3, n_completed = $4, n_failed = $5,
         qps = $6, tps = $7, ttft_p50_ns = $8, ttft_p99_ns = $9, tpot_p50_ns = $10, latency_p50_ns = $11,
         latency_p99_ns = $12, port_exhaustion_events = $13, client_cpu_ns = $14, summary_json = $15
       WHERE seq = $16`,
      [
        f.state,
        f.endNs,
        s.n_samples_issued,
        s.n_samples_completed,
        s.n_samples_failed,
        s.qps,
        s.tps,
        p(s.ttft.percentiles['50.0']),
        p(s.ttft.percentiles['99.0']),
        p(s.tpot.percentiles['50.0']),
        p(s.latency.percentiles['50.0']),
        p(s.latency.percentiles['99.0']),
        f.portExhaustionEvents ?? s.port_exhaustion_events,
        p(f.clientCpuNs ?? s.client_cpu_ns),
        JSON.stringify(s),
        seq,
      ],
      [VARCHAR, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE],
    );
  }

  async listRuns(filter: RunFilter = {}): Promise<StoredRun[]> {
    const where: string[] = [];
    const values: DuckDBValue[] = [];
    for (const [k, v] of Object.entries(filter.labels ?? {})) {
      values.push(k, v);
      where.push(`labels[$${values.length - 1}] = $${values.length}`);
    }
    if (filter.since !== undefined) {
      values.push(filter.since.toISOString());
      where.push(`started_at >= $${values.length}::TIMESTAMPTZ`);
    }
    const limit = filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    return this.queryRuns(
      (where.length > 0 ? `WHERE ${where.join(' AND ')} ` : '') + `ORDER BY started_at DESC, seq DESC${limit}`,
      values,
    );
  }

  /**
   * The run `ref` names: an id, a unique prefix of one, its report directory, or `latest`.
   * Throws run_not_found saying what is stored when none (or several) match.
   */
  async findRun(ref: string): Promise<StoredRun> {
    if (ref === 'latest' || ref === 'last') {
      const [latest] = await this.listRuns({ limit: 1 });
      if (latest !== undefined) return latest;
      throw new BadInputError(ErrorCode.runNotFound, `no runs are stored in ${this.file} yet.`);
    }
    const dir = path.resolve(ref);
    const matches = await this.queryRuns(
      `WHERE id = $1 OR starts_with(id, $1) OR report_dir = $1 OR report_dir = $2 ORDER BY started_at DESC`,
      [ref, dir],
    );
    const exact = matches.filter((r) => r.id === ref || r.reportDir === ref || r.reportDir === dir);
    if (exact.length === 1) return exact[0];
    if (matches.length === 1) return matches[0];
    const hint = `\`llm-loadgen runs --results-db ${this.file}\` lists them.`;
    if (matches.length === 0) throw new BadInputError(ErrorCode.runNotFound, `no stored run matches "${ref}": ${hint}`);
    throw new BadInputError(
      ErrorCode.runNotFound,
      `"${ref}" matches ${matches.length} runs (${matches
        .slice(0, 4)
        .map((r) => r.id)
        .join(', ')}${matches.length > 4 ? ', …' : ''}): give more of the id. ${hint}`,
    );
  }

  /** How many records run `seq` has stored. */
  async recordCount(seq: number): Promise<number> {
    const r = await this.connection.runAndReadAll('SELECT count(*) FROM requests WHERE run = $1', [seq], [INTEGER]);
    return Number(r.getRows()[0][0]);
  }

  /** The latest end time among a run's stored records (a killed run's end). */
  async latestRecordEnd(seq: number): Promise<number | null> {
    const r = await this.connection.runAndReadAll(
      `SELECT max(greatest("end", sent, scheduled)) FROM requests WHERE run = $1`,
      [seq],
      [INTEGER],
    );
    const v = r.getRows()[0][0];
    return v === null ? null : Number(v);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async queryRuns(tail: string, values: DuckDBValue[]): Promise<StoredRun[]> {
    const r = await this.connection.runAndReadAll(
      `SELECT seq, id, name, map_keys(labels) AS label_keys, map_values(labels) AS label_values, state,
         epoch_ms(started_at) AS started_ms, epoch_ms(ended_at) AS ended_ms, start_ns, end_ns, report_dir, endpoints,
         model, mode, load_pattern, streaming, target_qps, shards, config_yaml, tool_version, git_sha, host,
         port_exhaustion_events, client_cpu_ns, summary_json,
         (SELECT count(*) FROM requests WHERE requests.run = runs.seq) AS stored_requests
       FROM runs ${tail}`,
      values,
    );
    return r.getRowObjectsJS().map((o) => {
      const keys = (o.label_keys as string[] | null) ?? [];
      const vals = (o.label_values as string[] | null) ?? [];
      const labels: Record<string, string> = {};
      keys.forEach((k, i) => (labels[k] = vals[i]));
      const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
      return {
        seq: Number(o.seq),
        id: o.id as string,
        name: (o.name as string | null) ?? null,
        labels,
        state: o.state as StoredRunState,
        startedAt: new Date(Number(o.started_ms)),
        endedAt: o.ended_ms === null ? null : new Date(Number(o.ended_ms)),
        startNs: num(o.start_ns),
        endNs: num(o.end_ns),
        reportDir: (o.report_dir as string | null) ?? null,
        endpoints: (o.endpoints as string[] | null) ?? [],
        model: (o.model as string | null) ?? '',
        mode: o.mode as 'offline' | 'online',
        loadPattern: (o.load_pattern as string | null) ?? null,
        streaming: o.streaming === true,
        targetQps: num(o.target_qps),
        shards: Number(o.shards ?? 1),
        configYaml: (o.config_yaml as string | null) ?? '',
        toolVersion: (o.tool_version as string | null) ?? '',
        gitSha: (o.git_sha as string | null) ?? null,
        host: (o.host as string | null) ?? '',
        portExhaustionEvents: num(o.port_exhaustion_events),
        clientCpuNs: num(o.client_cpu_ns),
        summary: o.summary_json === null ? null : (JSON.parse(o.summary_json as string) as ResultSummary),
        storedRequests: Number(o.stored_requests),
      };
    });
  }
}
