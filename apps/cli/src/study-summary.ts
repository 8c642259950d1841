import { constraintViolations, type StudyConfig } from "@bayestune/protocol";
import { countTrialStates, type StoredTrial } from "@bayestune/store";
import { bestTrial, paretoTrials } from "@bayestune/engine";

/** What `bayestune status` reports of one study. */
export interface StudySummary {
  readonly running: number;
  /** Finished a rung below the top and wait for a promotion (multi-fidelity studies). */
  readonly paused: number;
  readonly complete: number;
  /** Stopped early by the study's pruner. */
  readonly pruned: number;
  readonly failed: number;
  readonly total: number;
  /** The best complete trial within every constraint for the study's direction; absent when there is none. */
  readonly best?: StoredTrial;
  /** The Pareto front of a multi-objective study (the best trial alone for one objective). */
  readonly front: readonly StoredTrial[];
  /** Complete trials that break a constraint, with what they break (empty without constraints). */
  readonly infeasible: ReadonlyArray<{ readonly number: number; readonly violations: readonly string[] }>;
}

/** Counts the trials by state and picks the best feasible complete one; ties go to the lower trial number. */
export function summarizeTrials(trials: readonly StoredTrial[], config: Pick<StudyConfig, "direction" | "constraints" | "objectives">): StudySummary {
  const counts = countTrialStates(trials);
  const best = bestTrial(trials, config);
  const infeasible = trials
    .filter((t) => t.state === "complete")
    .map((t) => ({ number: t.number, violations: constraintViolations(config.constraints, t.metrics ?? {}) }))
    .filter((t) => t.violations.length > 0);
  return { ...counts, total: trials.length, infeasible, front: paretoTrials(trials, config), ...(best !== undefined ? { best } : {}) };
}
