import type { Rng } from "../rng.js";

/** ParEGO's augmentation weight: a small sum term keeps weakly dominated points from tying. */
export const AUGMENTATION = 0.05;

/** One draw of ParEGO's weights, with the normalisation of each objective to [0, 1]. */
export interface ChebyshevWeights {
  readonly lambda: readonly number[];
  readonly low: readonly number[];
  /** high − low per objective, 1 where every observed value is equal. */
  readonly span: readonly number[];
}

/**
 * ParEGO's random weights (Knowles 2006): λ uniform on the simplex, and each
 * objective normalised by the range of the observed (minimised) values. A new
 * λ per proposal aims each one at another part of the Pareto front.
 */
export function drawChebyshevWeights(observed: readonly Float64Array[], rng: Rng): ChebyshevWeights {
  const m = observed[0]?.length ?? 0;
  // Uniform on the simplex: normalised standard exponentials (Dirichlet(1, …, 1)).
  const raw = Array.from({ length: m }, () => -Math.log(1 - rng.uniform()));
  const total = raw.reduce((a, b) => a + b, 0);
  const low = Array.from({ length: m }, (_, k) => Math.min(...observed.map((o) => o[k]!)));
  const high = Array.from({ length: m }, (_, k) => Math.max(...observed.map((o) => o[k]!)));
  return { lambda: raw.map((w) => w / total), low, span: high.map((h, k) => (h > low[k]! ? h - low[k]! : 1)) };
}

/**
 * The augmented Chebyshev scalarisation max_k λ_k f̂_k + ρ Σ_k λ_k f̂_k of a
 * minimised objective vector, f̂ normalised by `weights`. Every minimiser of it
 * lies on the Pareto front.
 */
export function chebyshevScalarize(objectives: Readonly<ArrayLike<number>>, weights: ChebyshevWeights): number {
  let max = -Infinity;
  let sum = 0;
  for (let k = 0; k < weights.lambda.length; k++) {
    const weighted = (weights.lambda[k]! * (objectives[k]! - weights.low[k]!)) / weights.span[k]!;
    max = Math.max(max, weighted);
    sum += weighted;
  }
  return max + AUGMENTATION * sum;
}
