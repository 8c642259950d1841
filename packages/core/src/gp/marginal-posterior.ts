import { BayestuneError } from "../errors.js";
import { choleskyInverse } from "../linalg/cholesky-inverse.js";
import { choleskyWithJitter } from "../linalg/cholesky.js";
import { solveLower, solveLowerTransposed } from "../linalg/triangular-solve.js";
import type { EncodedDim } from "../space/encoded-dim.js";
import { categoryIndex } from "../space/encoded-dim.js";
import { matern52Shape, matern52SlopeInSquaredDistance } from "./kernel.js";
import { logPrior } from "./priors.js";

const SQRT5 = Math.sqrt(5);
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * −(log marginal likelihood + log prior) of a zero-mean Matérn-5/2 GP as a
 * function of the log-parameters θ = (log ℓ_0 … log ℓ_{d−1}, log σ², log σ_n²),
 * with its analytic gradient −½ tr((ααᵀ − K⁻¹) ∂K/∂θ) − ∂ log p(θ)/∂θ.
 *
 * The per-dimension squared differences of every pair of points do not depend
 * on θ, so they are computed once here; an evaluation then costs one pass over
 * the pairs to build K, a Cholesky factorisation, K⁻¹ for the trace term, and
 * one more pass over the pairs for the whole gradient.
 *
 * @param X - n × d training points in the unit cube.
 * @param yModel - n targets in model units.
 * @param dims - d encoded dimensions.
 * @returns f(θ, grad): writes the gradient (d + 2) into grad and returns the
 *   value; Infinity (gradient 0) where K is not positive definite even with jitter.
 */
export function createNegLogMarginalPosterior(
  X: readonly Float64Array[],
  yModel: Float64Array,
  dims: readonly EncodedDim[],
): (theta: Float64Array, grad: Float64Array) => number {
  const n = X.length;
  const d = dims.length;
  const pairs = (n * (n - 1)) / 2;
  // Pair p = (i, j), j < i, in row order; D[p·d + j] = (u_i − u_j)² or [c_i ≠ c_j].
  const D = new Float64Array(pairs * d);
  {
    let p = 0;
    for (let i = 1; i < n; i++) {
      const xi = X[i]!;
      for (let k = 0; k < i; k++) {
        const xk = X[k]!;
        const o = p * d;
        for (let j = 0; j < d; j++) {
          const dim = dims[j]!;
          if (dim.kind === "categorical") {
            D[o + j] = categoryIndex(xi[j]!, dim.levels) === categoryIndex(xk[j]!, dim.levels) ? 0 : 1;
          } else {
            const diff = xi[j]! - xk[j]!;
            D[o + j] = diff * diff;
          }
        }
        p++;
      }
    }
  }
  const K = new Float64Array(n * n);
  const twiceOutputscaleSlope = new Float64Array(pairs);
  const inverseSquaredLengthscales = new Float64Array(d);
  const alpha = new Float64Array(n);
  const gradLengthscale = new Float64Array(d);
  const priorGradient = new Float64Array(d + 2);

  return (theta, grad) => {
    for (let j = 0; j < d; j++) inverseSquaredLengthscales[j] = Math.exp(-2 * theta[j]!);
    const outputscale = Math.exp(theta[d]!);
    const noise = Math.exp(theta[d + 1]!);

    let p = 0;
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      for (let k = 0; k < i; k++) {
        const o = p * d;
        let r2 = 0;
        for (let j = 0; j < d; j++) r2 += D[o + j]! * inverseSquaredLengthscales[j]!;
        const r = Math.sqrt(r2);
        const e = Math.exp(-SQRT5 * r);
        K[ri + k] = outputscale * matern52Shape(r, e);
        twiceOutputscaleSlope[p] = 2 * outputscale * matern52SlopeInSquaredDistance(r, e);
        p++;
      }
      K[ri + i] = outputscale + noise;
    }

    let L: Float64Array;
    try {
      L = choleskyWithJitter(K, n).L;
    } catch (error) {
      if (!(error instanceof BayestuneError)) throw error;
      grad.fill(0);
      return Infinity;
    }
    solveLower(L, n, yModel, alpha);
    solveLowerTransposed(L, n, alpha, alpha);
    let value = 0;
    for (let i = 0; i < n; i++) value += 0.5 * yModel[i]! * alpha[i]! + Math.log(L[i * n + i]!);
    value += n * HALF_LOG_2PI;

    const Kinv = choleskyInverse(L, n);
    // W = ααᵀ − K⁻¹; tr(W ∂K) = Σ_i W_ii ∂K_ii + 2 Σ_{j<i} W_ij ∂K_ij.
    gradLengthscale.fill(0);
    let traceOutputscale = 0;
    let traceDiagonal = 0;
    p = 0;
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      const ai = alpha[i]!;
      for (let k = 0; k < i; k++) {
        const w = ai * alpha[k]! - Kinv[ri + k]!;
        traceOutputscale += 2 * w * K[ri + k]!;
        // ∂K_ik/∂log ℓ_j = σ²·slope·(−2 s_j), s_j = D_j/ℓ_j².
        const c = -2 * w * twiceOutputscaleSlope[p]!;
        const o = p * d;
        for (let j = 0; j < d; j++) gradLengthscale[j]! += c * D[o + j]!;
        p++;
      }
      traceDiagonal += ai * ai - Kinv[ri + i]!;
    }
    for (let j = 0; j < d; j++) grad[j] = -0.5 * gradLengthscale[j]! * inverseSquaredLengthscales[j]!;
    grad[d] = -0.5 * (traceOutputscale + traceDiagonal * outputscale);
    grad[d + 1] = -0.5 * traceDiagonal * noise;

    const prior = logPrior(theta, priorGradient);
    for (let t = 0; t < d + 2; t++) grad[t]! -= priorGradient[t]!;
    return value - prior;
  };
}

/**
 * One evaluation of {@link createNegLogMarginalPosterior}'s objective.
 * @param theta - d + 2 log-parameters.
 * @param X - n × d training points.
 * @param yModel - n targets in model units.
 * @param grad - d + 2; receives the gradient.
 */
export function negLogMarginalPosterior(
  theta: Float64Array,
  X: readonly Float64Array[],
  yModel: Float64Array,
  dims: readonly EncodedDim[],
  grad: Float64Array,
): number {
  return createNegLogMarginalPosterior(X, yModel, dims)(theta, grad);
}
