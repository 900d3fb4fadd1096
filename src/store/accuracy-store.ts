/**
 * A run's accuracy phase in the results database: `accuracy_results` (one row per dataset: the
 * figures of accuracy_results.json as columns, and the whole entry as JSON so `report RUN`
 * re-renders it exactly) and `accuracy_answers` (one row per answer: the text the server sent,
 * what the extractor found, the ground truth, the score, the finish reason). Both are keyed by
 * `runs.seq`, like `requests`; the view `accuracy_scores` names runs by id for people writing SQL.
 * The accuracy phase's requests are not in `requests`: they never enter the performance figures.
 */
import { BOOLEAN, DOUBLE, INTEGER, LIST, VARCHAR, listValue, type DuckDBConnection } from '@duckdb/node-api';
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { accuracyResultsJson, answersJsonl } from '../accuracy/accuracy-files.js';
import type { AccuracyResult, AccuracyVerdict } from '../accuracy/accuracy-result.js';
import { REPORT_FILES, writeTextAtomically } from '../report/report-files.js';

/** Appended to the store's schema (store-schema.ts): new tables, so databases of schema 1 take them as they are. */
export const ACCURACY_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS accuracy_results (
  run INTEGER NOT NULL,
  position INTEGER NOT NULL,
  dataset VARCHAR NOT NULL,
  accuracy_only BOOLEAN NOT NULL,
  eval_method VARCHAR,
  extractor VARCHAR,
  score DOUBLE,
  n BIGINT,
  n_scored BIGINT,
  failures BIGINT,
  extractor_misses BIGINT,
  truncated BIGINT,
  per_repeat_scores DOUBLE[],
  ci_low DOUBLE,
  ci_high DOUBLE,
  ci_method VARCHAR,
  result_json VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS accuracy_answers (
  run INTEGER NOT NULL,
  dataset VARCHAR NOT NULL,
  sample INTEGER NOT NULL,
  "repeat" INTEGER NOT NULL,
  answer VARCHAR,
  extracted VARCHAR,
  truth VARCHAR,
  score DOUBLE NOT NULL,
  finish_reason VARCHAR
);
CREATE OR REPLACE VIEW accuracy_scores AS
SELECT runs.id AS run_id, a.dataset, a.score, a.n, a.n_scored, a.failures, a.extractor_misses, a.truncated,
  a.per_repeat_scores, a.ci_low, a.ci_high, a.ci_method, a.eval_method, a.extractor
FROM accuracy_results a JOIN runs ON a.run = runs.seq;
`;

/** One dataset's outcome as the accuracy phase hands it over. */
export interface DatasetAccuracy {
  result: AccuracyResult;
  verdicts: readonly AccuracyVerdict[];
}

export interface StoredAccuracy {
  results: AccuracyResult[];
  /** --mode acc: the run had no performance phase. */
  accuracyOnly: boolean;
}

/**
 * Stores a run's accuracy results and answers, replacing any it had (a second write of the same
 * run is the same rows, not twice as many). One transaction: a failed write leaves none.
 */
export async function storeAccuracy(
  connection: DuckDBConnection,
  seq: number,
  datasets: readonly DatasetAccuracy[],
  accuracyOnly: boolean,
): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    await connection.run('DELETE FROM accuracy_results WHERE run = $1', [seq], [INTEGER]);
    await connection.run('DELETE FROM accuracy_answers WHERE run = $1', [seq], [INTEGER]);
    for (const [position, { result: r }] of datasets.entries()) {
      await connection.run(
        `INSERT INTO accuracy_results VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
        [
          seq,
          position,
          r.dataset_name,
          accuracyOnly,
          r.eval_method,
          r.extractor,
          r.score,
          r.total_samples,
          r.n_scored,
          r.failures,
          r.extractor_misses,
          r.truncated,
          listValue(r.per_repeat_scores),
          r.ci95?.low ?? null,
          r.ci95?.high ?? null,
          r.ci95?.method ?? null,
          JSON.stringify(r),
        ],
        [
          INTEGER,
          INTEGER,
          VARCHAR,
          BOOLEAN,
          VARCHAR,
          VARCHAR,
          DOUBLE,
          DOUBLE,
          DOUBLE,
          DOUBLE,
          DOUBLE,
          DOUBLE,
          LIST(DOUBLE),
        ],
      );
    }
    const appender = await connection.createAppender('accuracy_answers');
    try {
      for (const { result, verdicts } of datasets) {
        for (const v of verdicts) {
          appender.appendInteger(seq);
          appender.appendVarchar(result.dataset_name);
          appender.appendInteger(v.sample);
          appender.appendInteger(v.repeat);
          appendText(appender, v.text);
          appendText(appender, v.extracted);
          appender.appendVarchar(v.truth);
          appender.appendDouble(v.score);
          appendText(appender, v.finishReason);
          appender.endRow();
        }
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    await connection.run('COMMIT');
  } catch (err) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

function appendText(appender: { appendVarchar(v: string): void; appendNull(): void }, v: string | null): void {
  if (v === null) appender.appendNull();
  else appender.appendVarchar(v);
}

/** A run's accuracy results, in the order the phase ran them (none: `results` is empty). */
export async function readStoredAccuracy(connection: DuckDBConnection, seq: number): Promise<StoredAccuracy> {
  const r = await connection.runAndReadAll(
    'SELECT result_json, accuracy_only FROM accuracy_results WHERE run = $1 ORDER BY position',
    [seq],
    [INTEGER],
  );
  const rows = r.getRows();
  return {
    results: rows.map((row) => JSON.parse(row[0] as string) as AccuracyResult),
    accuracyOnly: rows.length > 0 && rows[0][1] === true,
  };
}

/** A run's stored answers to one dataset, by sample then repeat. */
export async function readStoredAnswers(
  connection: DuckDBConnection,
  seq: number,
  dataset: string,
): Promise<AccuracyVerdict[]> {
  const r = await connection.runAndReadAll(
    `SELECT sample, "repeat", answer, finish_reason, extracted, truth, score FROM accuracy_answers
     WHERE run = $1 AND dataset = $2 ORDER BY sample, "repeat"`,
    [seq, dataset],
    [INTEGER, VARCHAR],
  );
  return r.getRows().map((row) => ({
    sample: Number(row[0]),
    repeat: Number(row[1]),
    text: row[2] as string | null,
    finishReason: row[3] as string | null,
    extracted: row[4] as string | null,
    truth: row[5] as string,
    score: Number(row[6]),
  }));
}

/** Sum and sum of squares of one dataset's per-answer scores (for Welch's t in compare). */
export async function storedScoreMoments(
  connection: DuckDBConnection,
  seq: number,
  dataset: string,
): Promise<{ sum: number; sumSquares: number; n: number }> {
  const r = await connection.runAndReadAll(
    `SELECT coalesce(sum(score), 0)::DOUBLE, coalesce(sum(score * score), 0)::DOUBLE, count(*)::DOUBLE
     FROM accuracy_answers WHERE run = $1 AND dataset = $2`,
    [seq, dataset],
    [INTEGER, VARCHAR],
  );
  const [sum, sumSquares, n] = r.getRows()[0].map(Number);
  return { sum, sumSquares, n };
}

/** accuracy/accuracy_results.json and each dataset's answers.jsonl, from the database, into `dir`; the names written. */
export async function writeStoredAccuracyFiles(
  connection: DuckDBConnection,
  seq: number,
  results: readonly AccuracyResult[],
  dir: string,
): Promise<string[]> {
  const accDir = path.join(dir, REPORT_FILES.accuracyDir);
  await mkdir(accDir, { recursive: true });
  const written: string[] = [];
  for (const r of results) {
    const name = `${r.dataset_name}.answers.jsonl`;
    await writeTextAtomically(
      path.join(accDir, name),
      answersJsonl(await readStoredAnswers(connection, seq, r.dataset_name)),
    );
    written.push(`${REPORT_FILES.accuracyDir}/${name}`);
  }
  await writeTextAtomically(path.join(accDir, REPORT_FILES.accuracyResults), accuracyResultsJson(results));
  written.push(`${REPORT_FILES.accuracyDir}/${REPORT_FILES.accuracyResults}`);
  return written;
}
