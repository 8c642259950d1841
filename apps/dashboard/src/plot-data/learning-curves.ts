import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";

export interface LearningCurve {
  readonly trial: number;
  readonly state: StoredTrial["state"];
  /** The objective's intermediate values, by step; a non-finite report (a diverging run) is left out, and a long curve is thinned (thinCurve). */
  readonly points: readonly { readonly step: number; readonly value: number; readonly rung: number }[];
  /** Where the trial was promoted: the first step reported at each rung above 0. */
  readonly promotions: readonly { readonly rung: number; readonly step: number }[];
}

/**
 * The most points a curve keeps. A script that reports every few steps of a long
 * run sends thousands per trial, and the page and its browser would carry and
 * draw them all on every refresh; TensorBoard and W&B thin their curves too.
 */
export const MAX_CURVE_POINTS = 250;

type CurvePoint = LearningCurve["points"][number];

/**
 * At most about `max` of `points` (in step order), the shape kept: its first and
 * last points, both ends of every rung, and in each of max/2 equal runs of points
 * the lowest and the highest value, so that a spike or a dip stays visible.
 */
export function thinCurve(points: readonly CurvePoint[], max: number): CurvePoint[] {
  if (points.length <= max) return [...points];
  const keep = new Set<number>([0, points.length - 1]);
  for (let i = 1; i < points.length; i++) {
    if (points[i]!.rung !== points[i - 1]!.rung) keep.add(i - 1).add(i);
  }
  const buckets = Math.max(1, Math.floor(max / 2));
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * points.length) / buckets);
    const to = Math.floor(((b + 1) * points.length) / buckets);
    let low = from;
    let high = from;
    for (let i = from + 1; i < to; i++) {
      if (points[i]!.value < points[low]!.value) low = i;
      if (points[i]!.value > points[high]!.value) high = i;
    }
    keep.add(low).add(high);
  }
  return [...keep].sort((a, b) => a - b).map((i) => points[i]!);
}

/** Every trial's learning curve of the objective metric, with its promotions marked; a long curve is thinned to about `maxPoints` (see thinCurve). */
export function learningCurves(trials: readonly StoredTrial[], config: Pick<StudyConfig, "metric">, maxPoints = MAX_CURVE_POINTS): LearningCurve[] {
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
      return { trial: trial.number, state: trial.state, points: thinCurve(points, maxPoints), promotions };
    });
}
