/**
 * The checks between the arrival-shape options (--load-pattern, --burstiness, --ramp-up, --trace,
 * --time-scale), kept apart from the rest of the settings so they live with the shapes.
 */

type OnlinePattern = 'poisson' | 'concurrency' | 'constant' | 'trace';

interface PatternInput {
  loadPattern?: string;
  concurrency?: unknown;
  trace?: string;
}

/** The online pattern: as given, else trace when --trace is given, concurrency when --concurrency is, else poisson. */
export function onlinePattern(s: PatternInput): OnlinePattern {
  const p = s.loadPattern;
  if (p === 'poisson' || p === 'concurrency' || p === 'constant' || p === 'trace') return p;
  if (s.trace !== undefined) return 'trace';
  return s.concurrency !== undefined ? 'concurrency' : 'poisson';
}

interface ShapeInput extends PatternInput {
  targetQps?: unknown;
  burstiness: number;
  rampUp: number;
  timeScale: number;
}

type ShapeKey = 'burstiness' | 'rampUp' | 'trace' | 'timeScale' | 'targetQps' | 'concurrency' | 'loadPattern';

export function checkArrivalShape(
  s: ShapeInput,
  pattern: OnlinePattern,
  issue: (key: ShapeKey, message: string) => void,
): void {
  if (s.burstiness !== 1 && pattern !== 'poisson')
    issue('burstiness', `only for load pattern poisson (gamma gaps); this run is ${pattern}`);
  if (pattern === 'trace') {
    if (s.trace === undefined) issue('trace', 'required for load pattern trace (a file of send times)');
    if (s.targetQps !== undefined) issue('targetQps', 'not with a trace: the trace gives the send times');
    if (s.concurrency !== undefined) issue('concurrency', 'not with a trace: the trace gives the send times');
    if (s.rampUp !== 0) issue('rampUp', 'not with a trace: the trace gives the send times');
  } else {
    if (s.trace !== undefined) issue('trace', `only for load pattern trace; this run is ${pattern}`);
    if (s.timeScale !== 1) issue('timeScale', 'only with --trace');
  }
}
