/**
 * Typed errors of the core. Every error carries a stable `code` so that callers
 * (the coordinator, the CLI, the HTTP API) can map it without parsing messages.
 * Messages say what must hold and what was received, plus the fix when one is known.
 */
export type ErrorCode =
  | "INVALID_SPACE"
  | "INVALID_PARAMS"
  | "INVALID_ARGUMENT"
  | "UNKNOWN_TRIAL"
  | "TRIAL_ALREADY_FINISHED"
  | "NOT_POSITIVE_DEFINITE";

export class BayestuneError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(`bayestune: ${message}`, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A search-space definition is malformed; the message names the parameter. */
export class InvalidSpaceError extends BayestuneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_SPACE", message, options);
  }
}

/** A params object does not belong to the space (missing key, value out of range, unknown choice). */
export class InvalidParamsError extends BayestuneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_PARAMS", message, options);
  }
}

/** An option or argument is out of its documented range. */
export class InvalidArgumentError extends BayestuneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_ARGUMENT", message, options);
  }
}

/** A trial is unknown, or is in a state that does not allow the call. */
export class TrialStateError extends BayestuneError {
  constructor(code: "UNKNOWN_TRIAL" | "TRIAL_ALREADY_FINISHED", message: string) {
    super(code, message);
  }
}

/** A matrix stayed not positive definite after the largest jitter. */
export class NumericalError extends BayestuneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NOT_POSITIVE_DEFINITE", message, options);
  }
}
