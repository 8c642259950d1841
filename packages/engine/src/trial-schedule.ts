import type { Params } from "@bayestune/core";
import type { StoredTrial } from "@bayestune/store";

/** A job a schedule wants run, in the store's terms. */
export type ScheduledJob =
  /** A new configuration at `fidelity`: the schedule's own `params`, or without them the study's next proposal. */
  | { readonly kind: "new"; readonly fidelity: number; readonly params?: Params }
  /** A paused trial continued one store rung up, from its last checkpoint when it has one. */
  | { readonly kind: "promote"; readonly trial: number; readonly rung: number; readonly fidelity: number; readonly checkpoint?: string };

/**
 * How a study with a scheduler spends its budget over stored trials: rungs of
 * ASHA, Hyperband, median stopping or a staged screen (RungSchedule), or
 * freeze–thaw (FreezeThawSchedule).
 */
export interface TrialSchedule {
  /** Whether the job `trial` runs now (at its current rung and fidelity) is its last: complete, it ends the trial instead of pausing it. */
  isLastJob(trial: StoredTrial): boolean;
  /** What a free slot runs next: a promotion, a new configuration, "wait" until a running job ends, or "done". */
  next(trials: readonly StoredTrial[], maxTrials: number): ScheduledJob | "wait" | "done";
  /** Whether the study has run its course (nothing running, nothing left to run); cheaper than `next`. */
  finished(trials: readonly StoredTrial[], maxTrials: number): boolean;
}
