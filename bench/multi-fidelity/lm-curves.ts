/**
 * Real learning curves, replayed as a tabular benchmark: validation loss of a
 * tiny GPT (examples/tiny-lm) recorded for a scrambled-Sobol design of
 * configurations. A proposed configuration gets the curve of its nearest
 * recorded neighbour in the space's unit cube (log-scaled parameters on their
 * log scale), so the landscape is piecewise constant over the design's cells:
 * every engine picks among the same recorded runs, and what differs is how
 * much training each spends to find the good ones.
 *
 * Two recorded sets: lm-curves.json (record_lm_curves.py: the "tiny" model,
 * three knobs at batch 32, 64 configurations; `loadLmCurves`) and
 * mini-curves.json (record_curves.py: the "mini" model, six knobs with the
 * batch size among them, 160 configurations, and the training seconds of each
 * evaluation; `loadMiniCurves`). `loadRecordedCurves` reads either.
 */
import { readFileSync } from "node:fs";
import { SearchSpace } from "@bayestune/core";
import type { ParamSpecInput } from "@bayestune/protocol";
import type { CurveParams, CurveProblem } from "./curve-problem.js";

/** One evaluation: step, validation loss (null once diverged) and, where recorded, cumulative training seconds. */
export type RecordedPoint = readonly [step: number, loss: number | null, seconds?: number];

export interface RecordedRun {
  readonly params: CurveParams;
  readonly curve: readonly RecordedPoint[];
  /** The whole run's wall-clock seconds (setup and evaluations included). */
  readonly seconds?: number;
  /** Per evaluation, the same interval as the curve's seconds in process CPU seconds (mini-curves.json). */
  readonly cpu?: readonly number[];
}

/** A recorded-curves file as the recording scripts write it. */
export interface RecordedCurves {
  readonly model: string;
  readonly data: string;
  readonly command: string;
  readonly recorded: string;
  readonly machine: string;
  readonly minutes?: number;
  readonly space: Record<string, ParamSpecInput>;
  readonly minSteps: number;
  readonly maxSteps: number;
  /** What the third element of each point measures (mini-curves.json). */
  readonly seconds?: string;
  readonly notes?: string;
  readonly runs: readonly RecordedRun[];
}

export const LM_CURVES_FILE = new URL("./lm-curves.json", import.meta.url);
export const MINI_CURVES_FILE = new URL("./mini-curves.json", import.meta.url);

export function readRecordedCurves(file: URL | string): RecordedCurves {
  return JSON.parse(readFileSync(file, "utf8")) as RecordedCurves;
}

export interface RecordedCurvesOptions {
  /** The problem's name in the report. */
  readonly name: string;
  /** How far above the best recorded full-budget loss the target lies. */
  readonly targetGap: number;
  readonly reductionFactor?: number;
  /** One sentence for the report; by default built from the file's model, data and command. */
  readonly description?: string;
  /**
   * What `seconds` replays: the recorded wall-clock training seconds (the
   * default), or the same interval in process CPU seconds, which other load on
   * the recording machine does not inflate.
   */
  readonly seconds?: "wall" | "cpu";
}

/**
 * A recorded-curves file as a CurveProblem: `loss` replays the nearest recorded
 * run's curve, and `seconds` (when every point of the file carries its
 * training seconds) that run's cost to reach a step.
 */
export function loadRecordedCurves(file: URL | string, options: RecordedCurvesOptions): CurveProblem {
  const recorded = readRecordedCurves(file);
  const space = SearchSpace.from(recorded.space);
  const points = recorded.runs.map((run) => space.encode(run.params));
  const nearest = (params: CurveParams): RecordedRun => {
    const u = space.encode(params);
    let best = 0;
    let bestDistance = Infinity;
    points.forEach((p, i) => {
      let d = 0;
      for (let j = 0; j < u.length; j++) d += (u[j]! - p[j]!) ** 2;
      if (d < bestDistance) [best, bestDistance] = [i, d];
    });
    return recorded.runs[best]!;
  };
  const finals = recorded.runs.map((run) => run.curve.at(-1)?.[1] ?? Number.NaN).filter(Number.isFinite);
  const clock = options.seconds ?? "wall";
  // Each run's curve with the chosen clock's seconds as its third element.
  const timedCurves = new Map<RecordedRun, readonly RecordedPoint[]>(
    recorded.runs.map((run) => [
      run,
      clock === "wall" ? run.curve : run.curve.map((point, i): RecordedPoint => {
        const cpu = run.cpu?.[i];
        return cpu === undefined ? [point[0], point[1]] : [point[0], point[1], cpu];
      }),
    ]),
  );
  const timed = [...timedCurves.values()].every((curve) => curve.every((point) => typeof point[2] === "number"));
  const secondsNote = timed
    ? `; each evaluation carries the training seconds (${clock === "wall" ? "wall-clock" : "CPU"}) it took to reach, so a step's cost depends on the configuration`
    : "";
  return {
    name: options.name,
    description:
      options.description ??
      `validation-loss curves of ${recorded.model}, on ${recorded.data}: ${recorded.runs.length} configurations of a scrambled Sobol design, recorded ${recorded.recorded.slice(0, 10)} by \`${recorded.command}\` (${recorded.machine}); a proposed configuration replays its nearest recorded neighbour's curve${secondsNote}`,
    space: recorded.space,
    minSteps: recorded.minSteps,
    maxSteps: recorded.maxSteps,
    reductionFactor: options.reductionFactor ?? 3,
    loss: (params, steps) => lossAt(nearest(params).curve, steps),
    ...(timed ? { seconds: (params: CurveParams, steps: number) => secondsAt(timedCurves.get(nearest(params))!, steps) } : {}),
    bestFullBudgetLoss: Math.min(...finals),
    targetGap: options.targetGap,
  };
}

/** The first set: the tiny GPT, three knobs at batch 32, 64 configurations, no per-evaluation seconds. */
export function loadLmCurves(): CurveProblem {
  // The two best of the 64 recorded configurations reach the target (1.48 and 1.55 on the recorded data).
  return loadRecordedCurves(LM_CURVES_FILE, { name: "tiny-lm", targetGap: 0.08 });
}

/** The second set: the mini GPT, six knobs with the batch size among them, 160 configurations, seconds per evaluation. */
export function loadMiniCurves(options: { readonly seconds?: "wall" | "cpu" } = {}): CurveProblem {
  // The three best of the 160 recorded configurations reach the target (1.513, 1.519 and 1.534; the fourth is 1.617).
  return loadRecordedCurves(MINI_CURVES_FILE, { name: "mini-lm", targetGap: 0.08, ...options });
}

/** The recorded loss at `steps`, linear in log steps between evaluations; NaN once the run diverged. */
export function lossAt(curve: readonly RecordedPoint[], steps: number): number {
  let previous: RecordedPoint | undefined;
  for (const point of curve) {
    if (point[0] >= steps) {
      const value = point[1] ?? Number.NaN;
      if (point[0] === steps || previous === undefined || previous[1] === null) return value;
      const w = (Math.log(steps) - Math.log(previous[0])) / (Math.log(point[0]) - Math.log(previous[0]));
      return previous[1] + w * (value - previous[1]);
    }
    previous = point;
  }
  return curve.at(-1)?.[1] ?? Number.NaN;
}

/**
 * The recorded training seconds at `steps`: linear in steps between
 * evaluations (a step's cost is constant within a run), from 0 s at step 0,
 * and past the last evaluation (a diverged run's, or beyond the budget) at the
 * run's mean seconds per step.
 */
export function secondsAt(curve: readonly RecordedPoint[], steps: number): number {
  let previous: readonly [number, number] = [0, 0];
  for (const point of curve) {
    const seconds = point[2] ?? Number.NaN;
    if (point[0] >= steps) {
      return previous[1] + ((steps - previous[0]) / (point[0] - previous[0])) * (seconds - previous[1]);
    }
    previous = [point[0], seconds];
  }
  return previous[0] === 0 ? Number.NaN : (previous[1] / previous[0]) * steps;
}
