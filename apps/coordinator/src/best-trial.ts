import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";

/** The best complete trial for the direction; ties go to the lower trial number. */
export function bestTrial(trials: readonly StoredTrial[], direction: StudyConfig["direction"]): StoredTrial | undefined {
  let best: StoredTrial | undefined;
  for (const trial of trials) {
    if (trial.state !== "complete" || trial.value === undefined) continue;
    if (best?.value === undefined || (direction === "minimize" ? trial.value < best.value : trial.value > best.value)) best = trial;
  }
  return best;
}
