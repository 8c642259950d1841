/**
 * Stable codes of {@link WorkerError}: callers (the BullMQ wiring, the CLI) branch
 * on the code, never on the message.
 */
export type WorkerErrorCode = "INVALID_JOB" | "INVALID_OPTIONS";

/** Base of the worker's typed errors; messages say what must hold and what was received. */
export class WorkerError extends Error {
  readonly code: WorkerErrorCode;
  /** The message without its "bayestune worker: " namespace, for a front end that prints its own. */
  readonly detail: string;
  constructor(code: WorkerErrorCode, message: string, options?: { cause?: unknown }) {
    super(`bayestune worker: ${message}`, options);
    this.name = new.target.name;
    this.code = code;
    this.detail = message;
  }
}

/** A trial job cannot be run as given: it fails its schema, or its command template does not render. */
export class InvalidJobError extends WorkerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_JOB", message, options);
  }
}

/** An option passed to the worker is out of its documented range. */
export class InvalidOptionsError extends WorkerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_OPTIONS", message, options);
  }
}
