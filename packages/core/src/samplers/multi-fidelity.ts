import { createAcquisition } from "../acquisition/acquisition.js";
import { InvalidArgumentError } from "../errors.js";
import { fitGP } from "../gp/fit.js";
import { gpAcquisition, restrictTo } from "../optimize/point-acquisition.js";
import { optimizeAcquisition } from "../optimize/acquisition-optimizer.js";
import { FANTASY_NOISE } from "./gp-sampler.js";
import type { Rng } from "../rng.js";
import type { EncodedDim } from "../space/encoded-dim.js";
import type { ParamPredicate } from "../space/param-predicate.js";
import type { Params, SearchSpace } from "../space/search-space.js";
import { RandomSampler } from "./random-sampler.js";

/** One rung result: a configuration's value ("lower is better") after `fidelity` of training. */
export interface FidelityObservation {
  readonly params: Params;
  readonly fidelity: number;
  readonly value: number;
}

export interface MultiFidelityProposal {
  /** Configurations the study is training now: the proposal stays away from them. */
  readonly pending?: readonly Params[];
  readonly rng: Rng;
  /** Known constraints: the proposal keeps to where this holds. @defaultValue every point */
  readonly feasibleIf?: ParamPredicate;
}


/**
 * The coordinate of the training budget: the GP sees log(f / min) / log(max / min),
 * so 0 is the lowest rung and 1 a full run. The acquisition optimiser treats it as
 * a discrete coordinate with the single level 1: every proposal is judged at the
 * full budget.
 */
const FULL_BUDGET_DIM: EncodedDim = { name: "__fidelity", kind: "discrete", levels: 1, centers: Float64Array.of(1) };

/**
 * Model-based multi-fidelity proposal: one GP over (params, log budget) fitted to
 * every rung result, so that cheap low-rung runs shape the model of the full run,
 * and LogEI of the predicted full-budget value, measured against the best
 * configuration's predicted full-budget value (low rungs are worse by construction
 * and must not set the bar). Pending configurations enter as fantasies at their
 * full-budget prediction, so a batch of proposals spreads out.
 *
 * @param budget - the study's fidelity range; observations outside it are clamped.
 * @returns params of the next configuration to start.
 * @throws InvalidArgumentError without at least two observations or on a bad range.
 */
export function proposeAtFullBudget(
  space: SearchSpace,
  budget: { readonly min: number; readonly max: number },
  observations: readonly FidelityObservation[],
  options: MultiFidelityProposal,
): Params {
  if (observations.length < 2) throw new InvalidArgumentError(`a multi-fidelity proposal needs at least 2 observations, got ${observations.length}`);
  if (!(budget.min > 0 && budget.max > budget.min)) {
    throw new InvalidArgumentError(`the budget range must have 0 < min < max, got min=${budget.min}, max=${budget.max}`);
  }
  const d = space.dimension;
  const span = Math.log(budget.max / budget.min);
  const budgetCoordinate = (f: number): number => Math.min(1, Math.max(0, Math.log(f / budget.min) / span));
  const augment = (params: Params, s: number): Float64Array => {
    const u = new Float64Array(d + 1);
    u.set(space.encode(params));
    u[d] = s;
    return u;
  };
  const dims = [...space.dims, FULL_BUDGET_DIM];
  const X = observations.map((o) => augment(o.params, budgetCoordinate(o.fidelity)));
  const y = Float64Array.from(observations, (o) => o.value);
  let gp = fitGP(X, y, { dims });

  // The bar: the best predicted full-budget value among the configurations seen.
  const seen = new Map<string, Float64Array>();
  for (const o of observations) {
    const u = augment(o.params, 1);
    seen.set(u.join(","), u);
  }
  const configs = [...seen.values()];
  const { mean } = gp.predict(configs);
  let best = Infinity;
  for (const m of mean) best = Math.min(best, m);
  const incumbents = configs.map((u, i) => ({ u, m: mean[i]! })).sort((a, b) => a.m - b.m).map((c) => c.u);

  const pending = (options.pending ?? []).map((p) => augment(p, 1));
  if (pending.length > 0) gp = gp.fantasize(pending, FANTASY_NOISE);
  const snap = (u: Float64Array): Float64Array => {
    const out = new Float64Array(d + 1);
    out.set(space.snap(u.subarray(0, d)));
    out[d] = 1;
    return out;
  };
  const acquisition = createAcquisition("logEI", { best });
  const feasibleIf = options.feasibleIf;
  const allowed = feasibleIf === undefined ? undefined : (u: Float64Array): boolean => feasibleIf(space.decode(u.subarray(0, d)));
  const target = gpAcquisition(gp, acquisition);
  const { x } = optimizeAcquisition(allowed === undefined ? target : restrictTo(target, allowed), snap, incumbents, options.rng);
  if (allowed !== undefined && !allowed(x)) {
    // Every candidate broke a known constraint: draw one that keeps them.
    const [u] = new RandomSampler().sample({ space, trials: [], rng: options.rng, allowed: (v) => feasibleIf!(space.decode(v)) }, 1);
    return space.decode(u!);
  }
  return space.decode(x.subarray(0, d));
}
