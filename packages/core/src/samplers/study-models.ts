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
  const complete = trials.filter((t): t is ObservedTrial & { y: number } => t.state === "complete");
  const failed = trials.filter((t) => t.state === "failed");
  const worst = Math.max(...complete.map((t) => t.y));
  const modelled = [...complete, ...failed];
  const objective = fit("objective", modelled.map((t) => t.x), Float64Array.from(modelled, (t) => t.y ?? worst), deterministic);
  const failure =
    failed.length === 0 ? undefined : fit("failure", modelled.map((t) => t.x), Float64Array.from(modelled, (t) => (t.state === "failed" ? 1 : -1)));
  const constraints: (GaussianProcess | undefined)[] = [];
  const bounds = complete[0]?.constraints?.length ?? 0;
  for (let i = 0; i < bounds; i++) {
    const reported = complete.filter((t) => Number.isFinite(t.constraints?.[i]));
    constraints.push(reported.length >= 2 ? fit(`constraint ${i}`, reported.map((t) => t.x), Float64Array.from(reported, (t) => t.constraints![i]!)) : undefined);
  }
  return { objective, ...(failure !== undefined ? { failure } : {}), constraints };
}
