import { paretoFront } from "@bayestune/core";
import { constraintViolations, type StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";

type Ranking = Pick<StudyConfig, "direction" | "constraints" | "objectives">;
type Direction = StudyConfig["direction"];

/** 1 for "minimize", −1 for "maximize": times a value, it makes lower better (as schedulers, pruners and samplers rank). */
export function lowerIsBetterSign(direction: Direction): 1 | -1 {
  return direction === "minimize" ? 1 : -1;
}

/** Whether `a` beats `b` for the direction; anything beats no value. */
export function isBetter(direction: Direction, a: number, b: number | undefined): boolean {
  return b === undefined || lowerIsBetterSign(direction) * a < lowerIsBetterSign(direction) * b;
}

/** Complete trials within every constraint. */
function feasibleComplete(trials: readonly StoredTrial[], config: Ranking): StoredTrial[] {
  // A config stored before constraints existed has none.
  const constraints = config.constraints ?? [];
  return trials.filter((t) => t.state === "complete" && t.value !== undefined && (constraints.length === 0 || constraintViolations(constraints, t.metrics ?? {}).length === 0));
}

/**
 * The best complete trial for the study's direction among those within every
 * constraint; ties go to the lower trial number. Undefined when none is complete
 * and feasible, and for a multi-objective study (see {@link paretoTrials}).
 */
export function bestTrial(trials: readonly StoredTrial[], config: Ranking): StoredTrial | undefined {
  if (config.objectives !== undefined) return undefined;
  let best: StoredTrial | undefined;
  for (const trial of feasibleComplete(trials, config)) {
    if (isBetter(config.direction, trial.value!, best?.value)) best = trial;
  }
  return best;
}

/**
 * The study's best trials: for several objectives the Pareto front of the
 * complete, feasible trials (by their objective metrics and directions); for
 * one, the best trial alone (or none).
 */
export function paretoTrials(trials: readonly StoredTrial[], config: Ranking): StoredTrial[] {
  const objectives = config.objectives;
  if (objectives === undefined) {
    const best = bestTrial(trials, config);
    return best === undefined ? [] : [best];
  }
  const candidates = feasibleComplete(trials, config).filter((t) => objectives.every((o) => typeof t.metrics?.[o.metric] === "number"));
  const points = candidates.map((t) => objectives.map((o) => lowerIsBetterSign(o.direction) * (t.metrics![o.metric] as number)));
  return paretoFront(points).map((i) => candidates[i]!);
}
