/**
 * Hosts of a multi-host run read from their results databases (results/llm-loadgen.duckdb of each
 * host, or any --results-db file), for `merge`. Opened read-only: a database another llm-loadgen
 * is writing to can still be merged from, and nothing in it changes. Each host's run is the latest
 * run in its database that was a host of a multi-host run (its summary has a `host` block), or
 * the runs named by id (or a unique id prefix).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { BadInputError, ErrorCode } from '../errors.js';
import { unpackRecords } from '../record/record-batch.js';
import type { RequestRecord } from '../record/request-record.js';
import { readStoredBatches } from '../store/stored-records.js';
import type { HostStartSummary } from './host-start.js';

export interface StoredHostRun {
  /** `FILE#RUN-ID`: how the merge names it. */
  label: string;
  id: string;
  seq: number;
  /** The run's zero on its host's monotonic clock (records' times are on that clock). */
  startNs: number;
  endpoints: string[];
  summary: Record<string, unknown> & { host?: HostStartSummary };
  /** The run's config.yaml (secrets already redacted when it was stored); null when none was stored. */
  configYaml: string | null;
}

interface RunRow {
  seq: number;
  id: string;
  start_ns: number | null;
  endpoints: string[] | null;
  summary_json: string | null;
  config_yaml: string | null;
  state: string;
}

/** A database opened read-only; close() when done. */
export class StoredHostDb {
  private constructor(
    readonly file: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(file: string): Promise<StoredHostDb> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY', threads: '2' });
    } catch (err) {
      throw new BadInputError(
        ErrorCode.resultsDbUnusable,
        `merge: ${file}: cannot open it as a results database (${String((err as Error).message).split('\n')[0]}). Give report directories or the hosts' llm-loadgen.duckdb files.`,
      );
    }
    return new StoredHostDb(file, instance, await instance.connect());
  }

  private async rows(): Promise<RunRow[]> {
    const r = await this.connection.runAndReadAll(
      `SELECT seq, id, start_ns, endpoints, summary_json, config_yaml, state FROM runs ORDER BY started_at DESC, seq DESC`,
    );
    return r.getRowObjectsJS().map((o) => ({
      seq: Number(o.seq),
      id: String(o.id),
      start_ns: o.start_ns === null ? null : Number(o.start_ns),
      endpoints: (o.endpoints as string[] | null) ?? null,
      summary_json: (o.summary_json as string | null) ?? null,
      config_yaml: (o.config_yaml as string | null) ?? null,
      state: String(o.state),
    }));
  }

  /**
   * The runs to merge from this database: those `ids` name (an id or a unique prefix; ids found in
   * none of the databases are the caller's to report), or without ids the latest multi-host run.
   */
  async hostRuns(ids: readonly string[]): Promise<{ runs: StoredHostRun[]; matched: Set<string> }> {
    const rows = await this.rows();
    const isHost = (r: RunRow) =>
      r.summary_json !== null && (JSON.parse(r.summary_json) as { host?: unknown }).host !== undefined;
    const hostRows = rows.filter(isHost);
    const matched = new Set<string>();
    let picked: RunRow[];
    if (ids.length === 0) {
      const latest = hostRows.find((r) => r.state !== 'running');
      if (latest === undefined)
        throw new BadInputError(
          ErrorCode.runNotFound,
          `merge: ${this.file} holds no finished run of a multi-host run (${rows.length} runs, none with --shard i/N): give the database of each host, or --run ID`,
        );
      picked = [latest];
    } else {
      picked = [];
      for (const ref of ids) {
        const exact = rows.filter((r) => r.id === ref);
        const found = exact.length > 0 ? exact : rows.filter((r) => r.id.startsWith(ref));
        if (found.length > 1)
          throw new BadInputError(
            ErrorCode.runNotFound,
            `merge: --run ${ref} matches ${found.length} runs in ${this.file} (${found
              .slice(0, 4)
              .map((r) => r.id)
              .join(', ')}): give more of the id`,
          );
        if (found.length === 1) {
          matched.add(ref);
          picked.push(found[0]);
        }
      }
    }
    const runs: StoredHostRun[] = [];
    for (const r of picked) {
      const summary = r.summary_json === null ? null : (JSON.parse(r.summary_json) as StoredHostRun['summary']);
      if (summary === null || summary.host === undefined || r.start_ns === null)
        throw new BadInputError(
          ErrorCode.invalidFlag,
          `merge: run ${r.id} in ${this.file} is not a finished host of a multi-host run (no host block: run it with --shard i/N)`,
        );
      runs.push({
        label: `${this.file}#${r.id}`,
        id: r.id,
        seq: r.seq,
        startNs: r.start_ns,
        endpoints: r.endpoints ?? [],
        summary,
        configYaml: r.config_yaml,
      });
    }
    return { runs, matched };
  }

  /** The run's records, with their times on the host's monotonic clock (chunk times included). */
  async *records(seq: number): AsyncGenerator<RequestRecord[]> {
    for await (const batch of readStoredBatches(this.connection, seq, true)) yield unpackRecords(batch);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
