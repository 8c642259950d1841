import { BayestuneError, replayStudy } from "@bayestune/core";
import { constraintViolations, type StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import { importanceDesign, type ImportanceOptions, type ParameterImportance } from "./importance.js";
import { sliceDesign, type ModelSlice, type SliceOptions } from "./model-slices.js";

/** What the study's fitted model says: which parameters matter, and how the objective responds near the best trial. */
export type ModelViews =
  | {
      readonly available: true;
      /** The metric modelled: the study's objective, or the first of several. */
      readonly objective: string;
      /** The trial the slices pass through. */
      readonly anchorTrial: number;
      /** Sorted by importance, descending. */
      readonly importance: readonly ParameterImportance[];
      /** One per parameter, in the space's order. */
      readonly slices: readonly ModelSlice[];
    }
  | { readonly available: false; readonly reason: string };

export interface ModelViewsOptions {
  importance?: ImportanceOptions;
  slices?: SliceOptions;
}

/**
 * The model views of a study: parameter importances of the model's mean over
 * the space, and slices through the anchor, the best complete feasible trial
 * for `config.direction` (the best complete one when none is feasible). A study
 * with several objectives is modelled on its first (`config.metric` and
 * `config.direction` are that objective's), and its anchor is the best by it.
 *
 * The study is replayed from `trials` and its objective's model fitted once
 * (`Study.objectiveModel`), for every point of both views. Not available, with the reason, before 2 complete
 * trials, or when the core cannot fit the model (a BayestuneError).
 */
export async function modelViews(config: StudyConfig, trials: readonly StoredTrial[], options: ModelViewsOptions = {}): Promise<ModelViews> {
  const history = [...trials].sort((a, b) => a.number - b.number);
  const complete = history.filter((t) => t.state === "complete" && t.value !== undefined);
  const anchor = bestOf(complete, config);
  if (complete.length < 2 || anchor === undefined) {
    return { available: false, reason: `the model needs at least 2 complete trials; this study has ${complete.length}` };
  }
  try {
    const study = await replayStudy(config, history);
    const importance = importanceDesign(study.space, options.importance);
    const observed = complete.map((t) => ({ params: t.params, value: t.value! }));
    const slices = sliceDesign(study.space, anchor.params, observed, options.slices);
    // One fit; the importance needs only the mean (O(n) a point), the slices also the std (O(n²)).
    const model = study.objectiveModel();
    return {
      available: true,
      objective: config.metric,
      anchorTrial: anchor.number,
      importance: importance.importances(model.mean(importance.points)),
      slices: slices.slices(model.predict(slices.points)),
    };
  } catch (error) {
    if (error instanceof BayestuneError) return { available: false, reason: error.message };
    throw error;
  }
}

/** The best complete trial by value for the config's direction, feasible ones first; ties go to the lower number. */
function bestOf(complete: readonly StoredTrial[], config: StudyConfig): StoredTrial | undefined {
  const constraints = config.constraints ?? [];
  const feasible = complete.filter((t) => constraintViolations(constraints, t.metrics ?? {}).length === 0);
  const better = (a: number, b: number): boolean => (config.direction === "minimize" ? a < b : a > b);
  return (feasible.length > 0 ? feasible : complete).reduce<StoredTrial | undefined>((best, t) => (best === undefined || better(t.value!, best.value!) ? t : best), undefined);
}
