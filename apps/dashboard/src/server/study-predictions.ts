import { BayestuneError, replayStudy, type Params } from "@bayestune/core";
import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";

/** The model's answer, or why it has none for this request (a reason for the caller, not a server fault). */
export type PredictionsAnswer = { readonly ok: true; readonly body: object } | { readonly ok: false; readonly error: string };

/**
 * The model's predictions (objective, constraint metrics with their probability
 * of holding, P(no failure)) for every trial, or for one candidate
 * configuration. Too few complete trials for a model, or a candidate outside
 * the space, is an answer with the core's reason, not a throw.
 */
export async function studyPredictions(config: StudyConfig, trials: readonly StoredTrial[], candidate?: Params): Promise<PredictionsAnswer> {
  try {
    const study = await replayStudy(config, trials);
    const targets = candidate !== undefined ? [candidate] : trials.map((t) => t.params as Params);
    const predictions = study.predict(targets);
    return {
      ok: true,
      body: candidate !== undefined ? { params: candidate, ...predictions[0] } : { trials: trials.map((t, i) => ({ number: t.number, ...predictions[i] })) },
    };
  } catch (error) {
    if (error instanceof BayestuneError) return { ok: false, error: error.message };
    throw error;
  }
}
