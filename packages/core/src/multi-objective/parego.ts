import type { Rng } from "../rng.js";

/** ParEGO's augmentation weight: a small sum term keeps weakly dominated points from tying. */
const AUGMENTATION = 0.05;

/**
 * ParEGO's scalarisation (Knowles 2006) of minimised objective vectors: each
 * objective normalised to [0, 1] over the observed values, then the augmented
 * Chebyshev function max_k λ_k f_k + ρ Σ_k λ_k f_k for weights λ drawn uniformly
 * from the simplex. A new λ per proposal aims each one at another part of the
 * Pareto front, and every minimiser of the scalarisation lies on it.
 *
 * @returns one scalar per input vector, to be minimised.
 */
export function chebyshevScalarize(objectives: readonly Float64Array[], rng: Rng): Float64Array {
  const m = objectives[0]?.length ?? 0;
  // Uniform on the simplex: normalised standard exponentials (Dirichlet(1, …, 1)).
  const raw = Array.from({ length: m }, () => -Math.log(1 - rng.uniform()));
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / total);
  const low = Array.from({ length: m }, (_, k) => Math.min(...objectives.map((o) => o[k]!)));
  const high = Array.from({ length: m }, (_, k) => Math.max(...objectives.map((o) => o[k]!)));
  return Float64Array.from(objectives, (o) => {
    let max = -Infinity;
    let sum = 0;
    for (let k = 0; k < m; k++) {
      const span = high[k]! - low[k]!;
      const weighted = weights[k]! * (span > 0 ? (o[k]! - low[k]!) / span : 0);
      max = Math.max(max, weighted);
      sum += weighted;
    }
    return max + AUGMENTATION * sum;
  });
}
