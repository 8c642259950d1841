import { proposeAtFullBudget, RandomSampler, Rng, SearchSpace, studyOptionsFromConfig, type FidelityObservation, type Params, type Study, type Trial } from "@bayestune/core";
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

/** A rung's results become the model's data once it holds this many (and d + 2). */
const MIN_RUNG_RESULTS = 6;


/**
 * The next configuration of a study with a scheduler, as a core trial (its number
 * is the next one). With the GP sampler, once nInitial configurations have
 * results, it is the model-based proposal (proposeAtFullBudget) from the
 * results of the deepest rung that holds max(d + 2, 6) of them alone, judged as if they were full-budget ones (BOHB's
 * rule), except every RANDOM_EVERY-th configuration, which is random. Before
 * that, and with the random and Sobol samplers, it is the study's own sampler
 * (the GP's initial design is Sobol).
 *
 * Why not one GP over every rung and log budget: LLM curves cross, so the low
 * rungs, which hold most results, rank configurations otherwise than the full
 * budget does (on the recorded tiny-GPT curves the first rung's ranking has
 * Spearman ρ 0.12 with the final one), and a model fitted to them proposes what
 * only looks good early. Replayed on the recorded curves, 30 seeds, that model's
 * proposals made ASHA worse than with random ones (docs/benchmarks.md, mf-replay).
 *
 * @param rungs - the budgets of the scheduler's rungs, lowest first.
 */
export async function nextConfiguration(config: StudyConfig, study: Study, trials: readonly StoredTrial[], rungs: readonly number[]): Promise<Trial> {
  const space = SearchSpace.from(config.space);
  const spec = config.sampler;
  const nInitial = (typeof spec === "object" ? spec.nInitial : undefined) ?? Math.max(5, Math.min(2 * space.dimension, 10));
  const observations = modelBased(config) && rungs.length > 1 ? deepestRungObservations(config, trials, rungs.at(-1)!, Math.max(space.dimension + 2, MIN_RUNG_RESULTS)) : [];
  if (observations.length < Math.max(2, nInitial)) {
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
  return askFor(study, params);
}

/** A core trial for params a model outside the core's sampler proposed: enqueued only to take the core's next number. */
export async function askFor(study: Study, params: Params): Promise<Trial> {
  study.enqueue(params);
  return { ...(await study.ask()), source: "sampler" };
}

function modelBased(config: StudyConfig): boolean {
  return config.sampler === "gp" || (typeof config.sampler === "object" && config.sampler.type === "gp");
}

/**
 * The results of the deepest rung that holds at least `enough` of them, "lower
 * is better", as observations at the full budget `full`; a trial that failed at
 * or below that budget enters at the worst value seen there. None while no
 * rung holds enough.
 */
function deepestRungObservations(config: StudyConfig, trials: readonly StoredTrial[], full: number, enough: number): FidelityObservation[] {
  const sign = lowerIsBetterSign(config.direction);
  const byFidelity = new Map<number, { params: StoredTrial["params"]; value: number }[]>();
  for (const trial of trials) {
    for (const rung of trial.rungs) {
      if (rung.fidelity === undefined) continue;
      const list = byFidelity.get(rung.fidelity) ?? [];
      list.push({ params: trial.params, value: sign * rung.value });
      byFidelity.set(rung.fidelity, list);
    }
  }
  const deepest = Math.max(-Infinity, ...[...byFidelity].filter(([, list]) => list.length >= enough).map(([fidelity]) => fidelity));
  if (!Number.isFinite(deepest)) return [];
  const results = byFidelity.get(deepest)!;
  const worst = Math.max(...results.map((r) => r.value));
  const observations = results.map((r) => ({ params: r.params, fidelity: full, value: r.value }));
  for (const trial of trials) {
    if (trial.state === "failed" && trial.fidelity !== undefined && trial.fidelity <= deepest) observations.push({ params: trial.params, fidelity: full, value: worst });
  }
  return observations;
}
