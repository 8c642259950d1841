/**
 * Stable codes of {@link StoreError}: callers (the coordinator, the CLI) branch on
 * the code, never on the message.
 */
export type StoreErrorCode = "UNKNOWN_STUDY" | "UNKNOWN_TRIAL" | "STUDY_EXISTS" | "TRIAL_FINISHED" | "INVALID_RECORD";

/** The one error type a {@link Store} throws; messages say what must hold and what was received. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(`bayestune store: ${message}`, options);
    this.name = "StoreError";
    this.code = code;
  }
}
