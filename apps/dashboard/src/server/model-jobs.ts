import type { Params } from "@bayestune/core";
import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import { modelViews, type ModelViews } from "../plot-data/model-views.js";
import { studyPredictions, type PredictionsAnswer } from "./study-predictions.js";

/** The work that fits a study's GP, which the model runner keeps off the event loop. */
export type ModelJob =
  | { readonly kind: "views"; readonly config: StudyConfig; readonly trials: readonly StoredTrial[] }
  | { readonly kind: "predictions"; readonly config: StudyConfig; readonly trials: readonly StoredTrial[]; readonly candidate?: Params };

export function runModelJob(job: ModelJob): Promise<ModelViews | PredictionsAnswer> {
  return job.kind === "views" ? modelViews(job.config, job.trials) : studyPredictions(job.config, job.trials, job.candidate);
}
