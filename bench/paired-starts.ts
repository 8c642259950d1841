/**
 * The shared initial design of paired runs. bayestune's GP sampler starts with
 * nInitial = max(5, min(2·d, 10)) points of the scrambled Sobol sequence of
 * `SobolSampler(seed)`, which is also what the `sobol` engine draws with the
 * same seed; the Optuna driver enqueues the same points and sets its samplers'
 * n_startup_trials to nInitial, so every engine's model takes over after the
 * same start. runTsEngine records how many of its first asks match the design,
 * so the report can say which engines really were paired.
 */
import { createStudy } from "@bayestune/core";
import type { ParamValues, Problem } from "./problems.js";
import { toBayestuneSpace } from "./bayestune-space.js";

/** bayestune's default initial-design size for d parameters (GPSampler's nInitial default). */
export function defaultInitialCount(d: number): number {
  return Math.max(5, Math.min(2 * d, 10));
}

/** The first nInitial points of the `sobol` engine with `seed`: the design every paired engine starts from. */
export async function initialDesign(problem: Problem, seed: number): Promise<ParamValues[]> {
  const study = createStudy({ space: toBayestuneSpace(problem.space), direction: "minimize", seed, sampler: "sobol" });
  const n = defaultInitialCount(Object.keys(problem.space).length);
  const design: ParamValues[] = [];
  for (let i = 0; i < n; i++) {
    const trial = await study.ask();
    design.push({ ...(trial.params as ParamValues) });
    // Told, so the next ask is the next Sobol point (the sampler indexes by trial count).
    await study.tell(trial.number, 0);
  }
  return design;
}

/** How many leading entries of `asked` equal `design`, value for value. */
export function matchingPrefix(asked: readonly ParamValues[], design: readonly ParamValues[]): number {
  let k = 0;
  while (k < design.length && k < asked.length && sameParams(asked[k]!, design[k]!)) k++;
  return k;
}

function sameParams(a: ParamValues, b: ParamValues): boolean {
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((key) => a[key] === b[key]);
}
