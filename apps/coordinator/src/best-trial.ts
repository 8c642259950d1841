import { constraintViolations, type StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";

/**
 * The best complete trial for the study's direction among those within every
 * constraint; ties go to the lower trial number. Undefined when none is complete
 * and feasible.
 */
export function bestTrial(trials: readonly StoredTrial[], config: Pick<StudyConfig, "direction" | "constraints">): StoredTrial | undefined {
  // A config stored before constraints existed has none.
  const constraints = config.constraints ?? [];
  let best: StoredTrial | undefined;
  for (const trial of trials) {
    if (trial.state !== "complete" || trial.value === undefined) continue;
    if (constraints.length > 0 && constraintViolations(constraints, trial.metrics ?? {}).length > 0) continue;
    if (best?.value === undefined || (config.direction === "minimize" ? trial.value < best.value : trial.value > best.value)) best = trial;
  }
  return best;
}
