/**
 * A DuckDB result's data chunks, the next one asked for before the caller takes this one, so
 * DuckDB's scan (its own thread) overlaps the JS. The read-back, the ITL pass and the bounded
 * end's narrow pass all read this way (docs/PERFORMANCE.md, sessions 6 and 8).
 */
import type { DuckDBDataChunk, DuckDBResult } from '@duckdb/node-api';

export async function* prefetchedChunks(result: DuckDBResult): AsyncGenerator<DuckDBDataChunk> {
  let next = result.fetchChunk();
  try {
    for (;;) {
      const chunk = await next;
      if (chunk === null || chunk.rowCount === 0) return;
      next = result.fetchChunk();
      yield chunk;
    }
  } finally {
    // Left unawaited when the caller stops early or a chunk throws: not an unhandled rejection.
    next.catch(() => undefined);
  }
}
