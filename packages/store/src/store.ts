import type { ChoiceValue, FailureReason, ProgressEvent, StudyConfig } from "@bayestune/protocol";

/** Final or intermediate metrics as a training script reports them; `null` stands for a non-finite value. */
export type Metrics = Record<string, number | null>;

/** Where a trial's params came from: the sampler, or a user's enqueued point. */
export type TrialSource = "sampler" | "enqueued";

/** One trial for {@link Store.createTrials} to create. */
export interface NewTrial {
  readonly params: Readonly<Record<string, ChoiceValue>>;
  readonly source: TrialSource;
  /** The budget of its first run (multi-fidelity); none for a full-budget trial. */
  readonly fidelity?: number;
}

/**
 * "paused": the trial finished a rung below the top and waits for a promotion
 * (multi-fidelity studies); it may never get one. "pruned": the study's pruner
 * stopped it early; it keeps the last value it reported and its checkpoint.
 * "complete", "failed" and "pruned" are final.
 */
export type TrialState = "running" | "paused" | "complete" | "failed" | "pruned";

/** A rung a trial completed: what it scored at that budget. */
export interface RungResult {
  readonly rung: number;
  readonly value: number;
  /** The training budget of that rung, when the study has a fidelity. */
  readonly fidelity?: number;
  /** Where the script saved its state at the end of the rung, for a promotion to resume from. */
  readonly checkpoint?: string;
  /** Milliseconds since the Unix epoch. */
  readonly finishedAt: number;
}

export interface StoredStudy {
  readonly name: string;
  /** The config as parsed by `StudyConfig` (defaults filled in). */
  readonly config: StudyConfig;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
}

/** One intermediate report; the idempotency key is (rung, step). */
export interface IntermediateValue {
  readonly rung: number;
  readonly step: number;
  readonly metrics: Readonly<Metrics>;
}

export interface StoredTrial {
  readonly study: string;
  /** Dense per study, from 0, in creation order. */
  readonly number: number;
  readonly params: Readonly<Record<string, ChoiceValue>>;
  readonly state: TrialState;
  /** The objective at the last finished rung, or for a pruned trial the last value it reported; set exactly when `state` is "complete", "paused" or "pruned". */
  readonly value?: number;
  /** Everything the final metrics line held. */
  readonly metrics?: Readonly<Metrics>;
  /** Set exactly when `state` is "failed". */
  readonly reason?: FailureReason;
  readonly message?: string;
  /** Highest rung reached; 0 until promotions exist. */
  readonly rung: number;
  /** Training budget of the current rung, when the study has a fidelity. */
  readonly fidelity?: number;
  /** Checkpoint reported by the last finished rung, for a later promotion. */
  readonly checkpoint?: string;
  /** Sorted by (rung, step). */
  readonly intermediate: readonly IntermediateValue[];
  /** Every rung the trial completed, lowest first. */
  readonly rungs: readonly RungResult[];
  readonly source: TrialSource;
  /** Job attempts used, as reported with the result; 0 while no result has arrived. */
  readonly attempts: number;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
  readonly finishedAt?: number;
  /** The worker that reported the result. */
  readonly worker?: string;
}

/**
 * How a trial job ended. A parsed `TrialResult` from `@bayestune/protocol` is
 * accepted as is (its extra fields are ignored), which is why the optional fields
 * also admit `undefined`.
 */
export interface FinishTrialInput {
  readonly study: string;
  readonly trial: number;
  readonly rung: number;
  readonly state: "complete" | "failed";
  /** Required, finite, when `state` is "complete". */
  readonly value?: number | undefined;
  readonly metrics?: Readonly<Metrics> | undefined;
  /** Required when `state` is "failed". */
  readonly reason?: FailureReason | undefined;
  readonly message?: string | undefined;
  readonly checkpoint?: string | undefined;
  readonly worker?: string | undefined;
  /** Job attempts used (BullMQ's `attemptsMade`). @defaultValue the stored count plus one */
  readonly attempts?: number | undefined;
  /** A complete rung below the top: leave the trial "paused" for a promotion instead of "complete". */
  readonly pause?: boolean | undefined;
  /** A complete result of a trial the pruner stopped early: the trial becomes "pruned" (its rung is not counted as completed). */
  readonly stopped?: boolean | undefined;
}

/** Continue a paused trial at the next rung. */
export interface PromoteTrialInput {
  readonly study: string;
  readonly trial: number;
  /** The rung to run: one above the rung the trial is paused at. */
  readonly rung: number;
  /** The training budget of that rung. */
  readonly fidelity?: number | undefined;
}

export interface PromoteTrialOutcome {
  readonly trial: StoredTrial;
  /** False when the trial was already at `rung` or beyond: the call changed nothing. */
  readonly applied: boolean;
}

export interface FinishTrialOutcome {
  /** The trial after the call: the new record when applied, the stored one when not. */
  readonly trial: StoredTrial;
  /** False when this (trial, rung) had already been finished: the call changed nothing. */
  readonly applied: boolean;
}

/**
 * The truth about studies and their trials. A coordinator killed with `kill -9`
 * rebuilds everything it knows from a Store, and results are delivered at least
 * once, so every backend must keep this contract (checked for each backend by
 * the shared suite in `packages/store/test/store-contract.ts`):
 *
 * - **Snapshots.** Every record returned is a deeply frozen snapshot that shares
 *   nothing with the store or with other returned records; records passed in are
 *   copied, so the caller may mutate them afterwards.
 * - **Concurrency.** Every method is safe to call concurrently, from one process
 *   or many (for a shared backend). Each write is atomic: no reader ever sees half
 *   of it.
 * - **Studies.** `createStudy` with the name of an existing study returns the
 *   stored study when the configs are equal after parsing (so a restarted
 *   coordinator may call it again), and throws `STUDY_EXISTS` when they differ.
 * - **Trial numbers** are dense and unique per study: 0, 1, 2, ... in the order
 *   `createTrials` calls take effect, even under concurrent
 *   callers in several processes; the trials of one `createTrials` get
 *   consecutive numbers.
 * - **Sampler state.** `createTrials` stores the state it is given in the same
 *   atomic write as its trials: a reader sees both or neither.
 * - **Finished trials are immutable.** A trial in state "complete" or "failed"
 *   never changes again. A "paused" one (a complete rung finished with `pause`)
 *   changes only through `promoteTrial`, which makes it "running" at the next rung
 *   (clearing `value` and `finishedAt`; its completed rungs stay in `rungs`).
 * - **Idempotent promotion.** `promoteTrial` to a rung the trial has reached
 *   already changes nothing and reports `applied: false`; promoting a trial that is
 *   not paused throws `TRIAL_FINISHED` when it is complete or failed and
 *   `INVALID_RECORD` when it is running; skipping a rung throws `INVALID_RECORD`.
 * - **Idempotent finish.** `finishTrial` is keyed by (trial, rung): a second call
 *   for an already applied (trial, rung) changes nothing, whatever it carries, and
 *   reports `applied: false`. A finish for another rung of a finished trial throws
 *   `TRIAL_FINISHED`; a rung other than the trial's current one throws
 *   `INVALID_RECORD`.
 * - **Idempotent progress.** `recordProgress` is keyed by (trial, rung, step): the
 *   first report wins and a repeat reports `applied: false`, even after the trial
 *   finished (a redelivered report is not an error). A new report for a finished
 *   trial throws `TRIAL_FINISHED`.
 * - **Errors** are `StoreError`s: `UNKNOWN_STUDY` for a study that was never
 *   created (from every method taking a study name except `getStudy`, which
 *   returns `undefined`), `UNKNOWN_TRIAL` for a trial number not yet created (from
 *   writes; `getTrial` returns `undefined`), `INVALID_RECORD` for malformed input
 *   (non-finite numbers, a complete result without a value, a failed one without
 *   a reason, a bad config), checked before anything is written.
 * - **Numbers** round-trip exactly (float64), except that -0 is stored as 0.
 */
export interface Store {
  createStudy(config: StudyConfig): Promise<StoredStudy>;
  getStudy(name: string): Promise<StoredStudy | undefined>;
  /** Study names, sorted. */
  listStudies(): Promise<string[]>;
  /**
   * Creates running trials at rung 0 with the next numbers of the study, in one
   * atomic write together with `samplerState` when given: the sampler's state
   * after the ask that proposed them (opaque text), which a study rebuilt from
   * the store restores so that it proposes what the uninterrupted one would.
   */
  createTrials(study: string, trials: readonly NewTrial[], samplerState?: string): Promise<StoredTrial[]>;
  /** The sampler state the last `createTrials` stored; undefined when none was. */
  getSamplerState(study: string): Promise<string | undefined>;
  /** Appends an intermediate report to a running trial; idempotent per (trial, rung, step). */
  recordProgress(event: ProgressEvent): Promise<{ applied: boolean }>;
  /** Finishes a trial's rung; idempotent per (trial, rung). */
  finishTrial(result: FinishTrialInput): Promise<FinishTrialOutcome>;
  /** Moves a paused trial to the next rung, running; idempotent per (trial, rung). */
  promoteTrial(input: PromoteTrialInput): Promise<PromoteTrialOutcome>;
  getTrial(study: string, number: number): Promise<StoredTrial | undefined>;
  /** Every trial of the study, in number order. */
  getTrials(study: string): Promise<StoredTrial[]>;
  /** Releases what the store opened; the store is unusable afterwards. */
  close(): Promise<void>;
}
