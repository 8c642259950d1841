import { constraintViolations, type StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";

/** One complete trial on the optimisation-history plot. */
export interface HistoryPoint {
  readonly trial: number;
  readonly value: number;
  /** Within every constraint (always true without constraints). */
  readonly feasible: boolean;
  /** The best feasible value among this trial and those before it; absent before the first feasible one. */
  readonly bestSoFar?: number;
}

/**
 * The optimisation history: every complete trial's value in trial order, with
 * the best feasible value so far for the study's direction. Failed, running and
 * paused trials are not points (a paused trial has no full-budget value yet).
 */
export function optimizationHistory(trials: readonly StoredTrial[], config: Pick<StudyConfig, "direction" | "constraints">): HistoryPoint[] {
  const better = (a: number, b: number): boolean => (config.direction === "minimize" ? a < b : a > b);
  let best: number | undefined;
  const points: HistoryPoint[] = [];
  for (const trial of [...trials].sort((a, b) => a.number - b.number)) {
    if (trial.state !== "complete" || trial.value === undefined) continue;
    const feasible = constraintViolations(config.constraints ?? [], trial.metrics ?? {}).length === 0;
    if (feasible && (best === undefined || better(trial.value, best))) best = trial.value;
    points.push({ trial: trial.number, value: trial.value, feasible, ...(best !== undefined ? { bestSoFar: best } : {}) });
  }
  return points;
}
