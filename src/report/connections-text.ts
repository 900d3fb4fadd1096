/** The connections lines of report.txt and report.html: where every sent request's connection came from. */
import type { ConnectionSummary } from '../metrics/result-summary.js';

/** The first line, then the optional ones (report.txt indents them; report.html joins them). */
export function connectionsLines(c: ConnectionSummary): string[] {
  const lines = [`${c.reused} requests reused a connection, ${c.new} opened a new one`];
  // Summaries stored before preopened/server_closed existed have neither.
  const preopened = (c as Partial<ConnectionSummary>).preopened ?? 0;
  if (preopened > 0) lines.push(`${preopened} more were the first on a connection opened before the clock started`);
  const closed = (c as Partial<ConnectionSummary>).server_closed ?? null;
  if (closed !== null && closed > 0) lines.push(`the server closed ${closed} connections it had kept alive`);
  return lines;
}
