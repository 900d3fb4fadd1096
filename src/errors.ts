/**
 * Typed errors with stable codes. Every error a user can see carries a code (for scripts and
 * docs) and a message that says what to do. The exit code follows from the class.
 */

export const ExitCode = {
  ok: 0,
  /** Generic crash (a bug): never used on purpose. */
  internal: 1,
  /** Bad input: flags, config, dataset. */
  badInput: 2,
  /** The endpoint could not be reached before the run started. */
  unreachable: 3,
  /** The run started but failed (e.g. every request failed, a shard died). */
  runFailed: 4,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class LoadgenError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A flag, config key or dataset is wrong. The message names the flag or file:line. */
export class BadInputError extends LoadgenError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, ExitCode.badInput, options);
  }
}

/** The endpoint could not be reached (or does not speak the API) before any load was sent. */
export class EndpointUnreachableError extends LoadgenError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, ExitCode.unreachable, options);
  }
}

/** The run started but could not produce a valid result. */
export class RunFailedError extends LoadgenError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, ExitCode.runFailed, options);
  }
}
