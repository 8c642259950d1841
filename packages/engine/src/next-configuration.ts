import { proposeAtFullBudget, RandomSampler, Rng, SearchSpace, studyOptionsFromConfig, type FidelityObservation, type Study, type Trial } from "@bayestune/core";
import type { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import { lowerIsBetterSign } from "./best-trial.js";

/**
 * One new configuration in this many is drawn at random even when the model
 * proposes the rest (BOHB's ρ = 1/3): learning curves cross, and a model fitted
 * mostly to short runs can lock onto configurations that only look good early
 * (a high learning rate); the random ones keep feeding the higher rungs with
 * configurations the model would not pick.
 */
const RANDOM_EVERY = 3;

/**
 * The next configuration of a study with a scheduler, as a core trial (its number
 * is the next one). With the GP sampler, once `nInitial` configurations have
 * results, it is the model-based multi-fidelity proposal (proposeAtFullBudget:
 * one GP over (params, log budget) fitted to the rung results, judged at the
 * full budget), except every RANDOM_EVERY-th configuration, which is random.
 * Before that, and with the random and Sobol samplers, it is the study's own
 * sampler (the GP's initial design is Sobol).
 *
 * @param rungs - the budgets of the scheduler's rungs, lowest first.
 */
export async function nextConfiguration(config: StudyConfig, study: Study, trials: readonly StoredTrial[], rungs: readonly number[]): Promise<Trial> {
  const observations = modelBased(config) && rungs.length > 1 ? rungObservations(config, trials) : [];
  const space = SearchSpace.from(config.space);
  const spec = config.sampler;
  const nInitial = (typeof spec === "object" ? spec.nInitial : undefined) ?? Math.max(5, Math.min(2 * space.dimension, 10));
  const configurationsWithResults = new Set(observations.map((o) => o.params)).size;
  if (configurationsWithResults < Math.max(2, nInitial)) {
    const [trial] = await study.askBatch(1);
    if (trial === undefined) throw new Error("the study's sampler returned no configuration");
    return trial;
  }
  // Seeded by the study and the trial count: a restarted coordinator proposes what the first would have.
  const rng = new Rng(config.seed * 1_000_003 + trials.length);
  const { feasibleIf } = studyOptionsFromConfig(config);
  const allowed = feasibleIf === undefined ? {} : { allowed: (x: Float64Array) => feasibleIf(space.decode(x)) };
  const params =
    trials.length % RANDOM_EVERY === RANDOM_EVERY - 1
      ? space.decode(new RandomSampler().sample({ space, trials: [], rng, ...allowed }, 1)[0]!)
      : proposeAtFullBudget(space, { min: rungs[0]!, max: rungs.at(-1)! }, observations, {
          pending: trials.filter((t) => t.state === "running").map((t) => t.params),
          rng,
          ...(feasibleIf !== undefined ? { feasibleIf } : {}),
        });
  study.enqueue(params);
  // Enqueued only to take the next number in the core: the model proposed it.
  return { ...(await study.ask()), source: "sampler" };
}

function modelBased(config: StudyConfig): boolean {
  return config.sampler === "gp" || (typeof config.sampler === "object" && config.sampler.type === "gp");
}

/** Every rung result, "lower is better"; a failed run enters at the worst value seen, at the budget it failed at. */
function rungObservations(config: StudyConfig, trials: readonly StoredTrial[]): FidelityObservation[] {
  const sign = lowerIsBetterSign(config.direction);
  const observations: FidelityObservation[] = [];
  for (const trial of trials) {
    for (const rung of trial.rungs) {
      if (rung.fidelity !== undefined) observations.push({ params: trial.params, fidelity: rung.fidelity, value: sign * rung.value });
    }
  }
  if (observations.length === 0) return observations;
  const worst = Math.max(...observations.map((o) => o.value));
  for (const trial of trials) {
    if (trial.state === "failed" && trial.fidelity !== undefined) observations.push({ params: trial.params, fidelity: trial.fidelity, value: worst });
  }
  return observations;
}
