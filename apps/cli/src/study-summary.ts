import type { StudyConfig } from "@bayestune/protocol";
import { countTrialStates, type StoredTrial } from "@bayestune/store";
import { bestTrial } from "@bayestune/coordinator";

/** What `bayestune status` reports of one study. */
export interface StudySummary {
  readonly running: number;
  /** Finished a rung below the top and wait for a promotion (multi-fidelity studies). */
  readonly paused: number;
  readonly complete: number;
  readonly failed: number;
  readonly total: number;
  /** The best complete trial for the study's direction; absent when none completed. */
  readonly best?: StoredTrial;
}

/** Counts the trials by state and picks the best complete one; ties go to the lower trial number. */
export function summarizeTrials(trials: readonly StoredTrial[], direction: StudyConfig["direction"]): StudySummary {
  const counts = countTrialStates(trials);
  const best = bestTrial(trials, direction);
  return { ...counts, total: trials.length, ...(best !== undefined ? { best } : {}) };
}
