import { normalCdf } from "../acquisition/normal.js";
import type { GaussianProcess } from "../gp/gaussian-process.js";
import type { ObservedTrial } from "./sampler.js";

/** Fits one GP to (X, y); `key` names the model, so a caller can keep warm starts per model. */
export type FitModel = (key: string, X: Float64Array[], y: Float64Array, deterministic?: boolean) => GaussianProcess;

/** The GPs a study's history supports: the objective, the failure model, one per constraint bound. */
export interface StudyModels {
  readonly objective: GaussianProcess;
  /** Labels +1 (failed) / −1 (complete): P(no failure) = P(label ≤ 0). Absent while nothing failed. */
  readonly failure?: GaussianProcess;
  /** One per constraint bound, in order (c ≤ 0 is feasible); undefined while fewer than 2 trials reported it. */
  readonly constraints: readonly (GaussianProcess | undefined)[];
}

/**
 * Fits the models of a history with at least two complete trials. Failed trials
 * train the failure model and also enter the objective's at the worst value seen:
 * on its own the failure model leaves an unexplored-looking region whose EI
 * outgrows its low P(no failure) once the search has converged elsewhere.
 */
export function fitStudyModels(trials: readonly ObservedTrial[], fit: FitModel, deterministic = false): StudyModels {
  return { objective: fitObjective(trials, "objective", (t) => t.y!, fit, deterministic), ...fitSideModels(trials, fit) };
}

/** One objective's GP over the complete trials (`value` of each), failed ones at the worst value seen. */
export function fitObjective(trials: readonly ObservedTrial[], key: string, value: (t: ObservedTrial) => number, fit: FitModel, deterministic = false): GaussianProcess {
  const complete = trials.filter((t) => t.state === "complete");
  const failed = trials.filter((t) => t.state === "failed");
  const values = complete.map(value);
  const worst = Math.max(...values);
  return fit(key, [...complete, ...failed].map((t) => t.x), Float64Array.from([...values, ...failed.map(() => worst)]), deterministic);
}

/** The failure model and the constraint models of a history (see StudyModels). */
export function fitSideModels(trials: readonly ObservedTrial[], fit: FitModel): Omit<StudyModels, "objective"> {
  const complete = trials.filter((t) => t.state === "complete");
  const failed = trials.filter((t) => t.state === "failed");
  const modelled = [...complete, ...failed];
  const failure =
    failed.length === 0 ? undefined : fit("failure", modelled.map((t) => t.x), Float64Array.from(modelled, (t) => (t.state === "failed" ? 1 : -1)));
  const constraints: (GaussianProcess | undefined)[] = [];
  const bounds = complete[0]?.constraints?.length ?? 0;
  for (let i = 0; i < bounds; i++) {
    const reported = complete.filter((t) => Number.isFinite(t.constraints?.[i]));
    constraints.push(reported.length >= 2 ? fit(`constraint ${i}`, reported.map((t) => t.x), Float64Array.from(reported, (t) => t.constraints![i]!)) : undefined);
  }
  return { ...(failure !== undefined ? { failure } : {}), constraints };
}

/** P(value ≤ 0) under a model at each point: a constraint's probability of holding, or P(no failure). */
export function probabilityAtMost0(gp: GaussianProcess, points: readonly Float64Array[]): number[] {
  const { mean, variance } = gp.predict(points);
  const bound = gp.toModelUnits(0);
  return points.map((_, i) => normalCdf((bound - mean[i]!) / Math.sqrt(Math.max(variance[i]!, 1e-18))));
}
