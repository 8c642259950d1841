import type { GaussianProcess } from "../gp/gaussian-process.js";
import type { PointAcquisition } from "../optimize/point-acquisition.js";
import type { Rng } from "../rng.js";
import { AUGMENTATION, type ChebyshevWeights } from "./parego.js";

/** Monte Carlo samples of the posterior per point (fixed across points: common random numbers). */
const SAMPLES = 128;
/** Softplus temperature of the smoothed improvement, in normalised units (objectives span [0, 1]). */
const TAU = 1e-3;
/** Step of the central difference for the output transform's inverse. */
const INVERSE_STEP = 1e-6;
const MIN_VARIANCE = 1e-18;

/**
 * Log expected improvement of the augmented Chebyshev scalarisation of several
 * objectives, each with its own GP (composite ParEGO, as BoTorch's qParEGO):
 *
 *   α(x) = log E[ τ·softplus((s* − s(f(x))) / τ) ],  f_k(x) = T_k⁻¹(μ_k + σ_k z_k),
 *
 * estimated with SAMPLES fixed standard-normal draws z (the same for every x, so
 * α is smooth in x). T_k⁻¹ maps model units back to objective k's own units,
 * s is the scalarisation and s* the best scalarised observed value. The softplus
 * (temperature τ) keeps a gradient where no sample improves, as LogEI does in
 * closed form. Modelling each objective and scalarising the samples follows the
 * objectives' own shapes, where a GP of the scalarised values (the max() makes
 * them kinked) drifts to the box's edges.
 */
export function scalarizedLogEI(objectives: readonly GaussianProcess[], weights: ChebyshevWeights, best: number, rng: Rng): PointAcquisition {
  const m = objectives.length;
  const z = Array.from({ length: SAMPLES }, () => Float64Array.from({ length: m }, () => rng.normal()));
  const d = objectives[0]!.dims.length;
  const dMean = new Float64Array(d);
  const dVar = new Float64Array(d);

  /** α and ∂α/∂μ_k, ∂α/∂σ_k from the posteriors' means and stds at one point. */
  const evaluate = (mean: Float64Array, std: Float64Array, dAlphaDMean?: Float64Array, dAlphaDStd?: Float64Array): number => {
    const terms = new Float64Array(SAMPLES);
    const dTermDs = new Float64Array(SAMPLES);
    const argmax = new Int32Array(SAMPLES);
    const f = new Float64Array(m);
    const dfdt = new Float64Array(SAMPLES * m);
    for (let i = 0; i < SAMPLES; i++) {
      let max = -Infinity;
      let sum = 0;
      for (let k = 0; k < m; k++) {
        const t = mean[k]! + std[k]! * z[i]![k]!;
        const gp = objectives[k]!;
        f[k] = gp.fromModelUnits(t);
        if (dAlphaDMean !== undefined) dfdt[i * m + k] = (gp.fromModelUnits(t + INVERSE_STEP) - gp.fromModelUnits(t - INVERSE_STEP)) / (2 * INVERSE_STEP);
        const weighted = weights.lambda[k]! * (f[k]! - weights.low[k]!) / weights.span[k]!;
        if (weighted > max) {
          max = weighted;
          argmax[i] = k;
        }
        sum += weighted;
      }
      const a = (best - (max + AUGMENTATION * sum)) / TAU;
      const softplus = a > 30 ? a : Math.log1p(Math.exp(a));
      // log(τ·softplus(a)); for very negative a, softplus(a) ≈ e^a underflows: use a itself.
      terms[i] = Math.log(TAU) + (a < -30 ? a : Math.log(softplus));
      const sigmoid = 1 / (1 + Math.exp(-a));
      dTermDs[i] = -(a < -30 ? 1 : sigmoid / softplus) / TAU;
    }
    let top = -Infinity;
    for (const t of terms) top = Math.max(top, t);
    let total = 0;
    for (const t of terms) total += Math.exp(t - top);
    const value = top + Math.log(total / SAMPLES);
    if (dAlphaDMean !== undefined && dAlphaDStd !== undefined) {
      dAlphaDMean.fill(0);
      dAlphaDStd.fill(0);
      for (let i = 0; i < SAMPLES; i++) {
        const share = Math.exp(terms[i]! - top) / total;
        for (let k = 0; k < m; k++) {
          const dsdf = (weights.lambda[k]! / weights.span[k]!) * ((argmax[i] === k ? 1 : 0) + AUGMENTATION);
          const dAlphaDt = share * dTermDs[i]! * dsdf * dfdt[i * m + k]!;
          dAlphaDMean[k]! += dAlphaDt;
          dAlphaDStd[k]! += dAlphaDt * z[i]![k]!;
        }
      }
    }
    return value;
  };

  return {
    dims: objectives[0]!.dims,
    n: Math.max(...objectives.map((gp) => gp.n)),
    scoreAll(points) {
      const predictions = objectives.map((gp) => gp.predict(points));
      const mean = new Float64Array(m);
      const std = new Float64Array(m);
      return Float64Array.from(points, (_, i) => {
        for (let k = 0; k < m; k++) {
          mean[k] = predictions[k]!.mean[i]!;
          std[k] = Math.sqrt(Math.max(predictions[k]!.variance[i]!, MIN_VARIANCE));
        }
        return evaluate(mean, std);
      });
    },
    valueAndGradient(x, grad) {
      const mean = new Float64Array(m);
      const std = new Float64Array(m);
      const gradients: { dMean: Float64Array; dStd: Float64Array }[] = [];
      for (let k = 0; k < m; k++) {
        const { mean: mk, variance } = objectives[k]!.predictWithGradient(x, dMean, dVar);
        mean[k] = mk;
        std[k] = Math.sqrt(Math.max(variance, MIN_VARIANCE));
        const dStdDVar = variance > MIN_VARIANCE ? 0.5 / std[k]! : 0;
        gradients.push({ dMean: Float64Array.from(dMean), dStd: dVar.map((v) => v * dStdDVar) });
      }
      const dAlphaDMean = new Float64Array(m);
      const dAlphaDStd = new Float64Array(m);
      const value = evaluate(mean, std, dAlphaDMean, dAlphaDStd);
      grad.fill(0);
      for (let k = 0; k < m; k++) {
        for (let j = 0; j < d; j++) grad[j]! += dAlphaDMean[k]! * gradients[k]!.dMean[j]! + dAlphaDStd[k]! * gradients[k]!.dStd[j]!;
      }
      return value;
    },
  };
}
