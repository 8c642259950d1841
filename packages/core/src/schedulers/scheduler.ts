/**
 * What a multi-fidelity scheduler sees and decides. Schedulers are pure: their
 * decision is a function of the trials' rung history alone, so a restarted
 * coordinator that replays the store gets the same brackets, rungs and pending
 * promotions back.
 */

/** One trial as a scheduler sees it. Values are "lower is better" (negate a maximised metric). */
export interface RungTrial {
  readonly number: number;
  /** The bracket the trial was started in (see {@link Scheduler.bracketOf}). */
  readonly bracket: number;
  /** Rung index → the value the trial finished that rung with. */
  readonly values: ReadonlyMap<number, number>;
  /** Rung index of the job running now, if any. */
  readonly running?: number;
  /** Failed (crashed, diverged, stopped early): never promoted again. */
  readonly failed?: boolean;
}

/** The highest rung the trial finished; -1 before its first. */
export function highestFinishedRung(trial: Pick<RungTrial, "values">): number {
  let highest = -1;
  for (const rung of trial.values.keys()) highest = Math.max(highest, rung);
  return highest;
}

/** What a free worker slot should run next. */
export type SchedulerDecision =
  /** Continue `trial` at `rung` (one above its highest finished rung), from its checkpoint when it has one. */
  | { readonly kind: "promote"; readonly trial: number; readonly rung: number }
  /** Start a new configuration at `rung`, the base of `bracket`. */
  | { readonly kind: "new"; readonly rung: number; readonly bracket: number }
  /** Nothing to start until a running job ends (a synchronous stage is still filling). */
  | { readonly kind: "wait" }
  /** The strategy has run its course: no new job will ever be needed. */
  | { readonly kind: "done" };

export interface Scheduler {
  /** Budget of each rung, lowest first; the last is a full run. */
  readonly rungs: readonly number[];
  /** The next job for a free slot, given every trial of the study so far. */
  next(trials: readonly RungTrial[]): SchedulerDecision;
  /**
   * The bracket of the next new configuration. It depends only on the brackets
   * of the trials before it, so trial i's bracket can be recomputed from the
   * count alone after a restart.
   */
  bracketForNew(trials: readonly Pick<RungTrial, "bracket">[]): number;
}
