/**
 * A load pattern as issue times. A schedule decides *when* a request should be sent and calls
 * `issue(scheduledNs)`; the shard sends it. Deadlines are absolute (start + offset), so timer
 * lateness never accumulates into drift.
 */

/**
 * The load patterns a run can use (offline = everything due at once; constant = fixed gaps at the
 * target rate; trace = send times from a file; see arrival-shape.ts).
 */
export type LoadPatternName = 'offline' | 'poisson' | 'concurrency' | 'constant' | 'trace';

export interface IssueTarget {
  /** Send one request now; `scheduledNs` is when the schedule wanted it sent. */
  issue(scheduledNs: number): void;
}

export interface Schedule {
  /** Begin issuing; the schedule's clock starts at `startNs` (absolute monotonic ns). */
  start(startNs: number): void;
  /**
   * One request ended (frees a concurrency slot). `endNs`: when it ended (monotonic ns, NaN when not
   * known): an open-loop schedule sends what is already due then instead of waiting for its timer.
   */
  onRequestFinished(endNs: number): void;
  /** Stop issuing (duration reached, Ctrl-C); requests already issued are not touched. */
  stop(): void;
  /** True once the schedule will issue nothing more. */
  readonly exhausted: boolean;
  /** Called once when the schedule becomes exhausted. */
  onExhausted: (() => void) | null;
}

/** Limits shared by every schedule: a request count and/or a duration. */
export interface ScheduleLimits {
  /** Most requests this schedule issues (Infinity = no count limit). */
  maxRequests: number;
  /** Stop issuing this long after start (Infinity = no time limit). */
  durationNs: number;
}
