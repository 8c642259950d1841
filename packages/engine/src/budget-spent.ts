import type { StoredTrial } from "@bayestune/store";

/**
 * Training budget the study's jobs have taken, summed over jobs (finished,
 * failed or running): a promoted job that resumed from its previous rung's
 * checkpoint counts only its new budget; one without a checkpoint started over.
 * Jobs without a fidelity count nothing.
 */
export function budgetSpent(trials: readonly StoredTrial[]): number {
  let spent = 0;
  for (const trial of trials) {
    // The completed rungs, then the job after them (running, failed, or the one that completed the top rung).
    let previous: { fidelity?: number | undefined; checkpoint?: string | undefined } | undefined;
    for (const rung of trial.rungs) {
      spent += jobBudget(rung.fidelity, previous);
      previous = rung;
    }
    const completedCurrent = trial.rungs.at(-1)?.rung === trial.rung && trial.state !== "running" && trial.state !== "failed";
    if (!completedCurrent) spent += jobBudget(trial.fidelity, previous);
  }
  return spent;
}

function jobBudget(fidelity: number | undefined, previous: { fidelity?: number | undefined; checkpoint?: string | undefined } | undefined): number {
  if (fidelity === undefined) return 0;
  return previous?.checkpoint !== undefined && previous.fidelity !== undefined ? fidelity - previous.fidelity : fidelity;
}
