import { dLogNormalCdf, logNormalCdf } from "../acquisition/normal.js";
import type { GaussianProcess } from "../gp/gaussian-process.js";
import { categoryIndex } from "../space/encoded-dim.js";
import type { PointAcquisition } from "../optimize/point-acquisition.js";
import { SobolSequence } from "../sobol/sobol-sequence.js";

/** EXPLORATION ONLY: which batch rule the GP sampler uses (BAYESTUNE_PENDING_RULE). */
export type PendingRule = "believer" | "honest" | "penalise" | "believe-penalise";

export function pendingRule(): PendingRule {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.["BAYESTUNE_PENDING_RULE"];
  return (env as PendingRule | undefined) ?? "believer";
}

/** Points at which the mean's gradient is probed for the Lipschitz constant, besides the data. */
const LIPSCHITZ_PROBES = 256;
/** Floor of the Lipschitz constant: a flat mean would otherwise give every ball an infinite radius. */
const MIN_LIPSCHITZ = 1e-6;
const MIN_STD = 1e-9;

/**
 * Local penalisation (González et al. 2016), in log form: the target plus, per
 * pending point p, log Φ((L·r(x, p) − (μ(p) − M)) / σ(p)), where r is the
 * kernel's (lengthscale-scaled) distance, L a Lipschitz constant of the mean in
 * that metric, μ(p), σ(p) the posterior at p and M the best observed value. The penalty is ≈ −∞ inside the ball of radius (μ(p) − M)/L where
 * f(p) most likely is not low enough to leave a better point, and 0 far away.
 * `gp` is the model without fantasies; L and M are estimated once, on `probes`.
 */
export function localPenaliser(gp: GaussianProcess, probes: readonly Float64Array[]): (target: PointAcquisition, pending: readonly Float64Array[]) => PointAcquisition {
  const d = gp.dims.length;
  const dims = gp.dims;
  const inverseSquaredLengthscales = Float64Array.from(gp.hyperparameters.lengthscales, (l) => 1 / (l * l));
  const categorical = dims.map((dim) => dim.kind === "categorical");
  const dMean = new Float64Array(d);
  const dVariance = new Float64Array(d);
  let lipschitz = MIN_LIPSCHITZ;
  const lowest = gp.bestModel;
  for (const x of probes) {
    gp.predictWithGradient(x, dMean, dVariance);
    let squared = 0;
    // ∂μ/∂(u/ℓ) = ℓ·∂μ/∂u: the slope per unit of kernel distance.
    for (let j = 0; j < d; j++) if (!categorical[j]) squared += (dMean[j]! * dMean[j]!) / inverseSquaredLengthscales[j]!;
    lipschitz = Math.max(lipschitz, Math.sqrt(squared));
  }
  return (target, pending) => {
    if (pending.length === 0) return target;
    const { mean, variance } = gp.predict(pending);
    const centres = pending.map((p, i) => ({ p, gap: mean[i]! - lowest, std: Math.sqrt(Math.max(variance[i]!, MIN_STD * MIN_STD)) }));
    const penalty = (x: Float64Array, grad: Float64Array | undefined): number => {
      let total = 0;
      for (const { p, gap, std } of centres) {
        let squared = 0;
        for (let j = 0; j < d; j++) {
          const diff = x[j]! - p[j]!;
          squared += categorical[j]
            ? categoryIndex(x[j]!, dims[j]!.levels) !== categoryIndex(p[j]!, dims[j]!.levels)
              ? inverseSquaredLengthscales[j]!
              : 0
            : diff * diff * inverseSquaredLengthscales[j]!;
        }
        const r = Math.sqrt(squared);
        const z = (lipschitz * r - gap) / std;
        total += logNormalCdf(z);
        if (grad !== undefined && r > 0) {
          const slope = (dLogNormalCdf(z) * lipschitz) / (std * r);
          for (let j = 0; j < d; j++) if (!categorical[j]) grad[j]! += slope * (x[j]! - p[j]!) * inverseSquaredLengthscales[j]!;
        }
      }
      return total;
    };
    return {
      dims: target.dims,
      n: target.n,
      scoreAll(points) {
        const scores = target.scoreAll(points);
        points.forEach((x, i) => (scores[i]! += penalty(x, undefined)));
        return scores;
      },
      valueAndGradient(x, grad) {
        const value = target.valueAndGradient(x, grad);
        return value + penalty(x, grad);
      },
    };
  };
}

/** Where the Lipschitz constant is probed: the data, the pending points and a fixed Sobol net. */
export function lipschitzProbes(dimension: number, data: readonly Float64Array[]): Float64Array[] {
  return [...data, ...new SobolSequence(dimension, { seed: 0 }).draw(LIPSCHITZ_PROBES)];
}
