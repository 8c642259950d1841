import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";

export interface LearningCurve {
  readonly trial: number;
  readonly state: StoredTrial["state"];
  /** The objective's intermediate values, by step; a non-finite report (a diverging run) is left out. */
  readonly points: readonly { readonly step: number; readonly value: number; readonly rung: number }[];
  /** Where the trial was promoted: the first step reported at each rung above 0. */
  readonly promotions: readonly { readonly rung: number; readonly step: number }[];
}

/** Every trial's learning curve of the objective metric, with its promotions marked. */
export function learningCurves(trials: readonly StoredTrial[], config: Pick<StudyConfig, "metric">): LearningCurve[] {
  return [...trials]
    .sort((a, b) => a.number - b.number)
    .map((trial) => {
      const points = trial.intermediate
        .flatMap((report) => {
          const value = report.metrics[config.metric];
          return typeof value === "number" && Number.isFinite(value) ? [{ step: report.step, value, rung: report.rung }] : [];
        })
        .sort((a, b) => a.step - b.step || a.rung - b.rung);
      const promotions: { rung: number; step: number }[] = [];
      for (const point of points) {
        if (point.rung > 0 && !promotions.some((p) => p.rung === point.rung)) promotions.push({ rung: point.rung, step: point.step });
      }
      return { trial: trial.number, state: trial.state, points, promotions };
    });
}
