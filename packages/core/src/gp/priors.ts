/**
 * Priors on the GP hyperparameters: each positive parameter is log-normal.
 *
 * Log-parameter vector θ (length d + 2): log ℓ_0 … log ℓ_{d−1}, log σ², log σ_n².
 *
 * The MAP estimate is that of the densities of the parameters themselves (ℓ,
 * σ², σ_n²), as in GPyTorch/BoTorch where these priors were validated, even
 * though the search runs in θ: log p(ℓ) = log N(log ℓ; μ, s²) − log ℓ, so each
 * parameter's mode is exp(μ − s²), not exp(μ). This matters: for the lengthscale
 * prior below, exp(μ) is 7.1 in d = 3, a start from which the search settles in
 * the "everything is noise" basin of the likelihood; exp(μ − 3) = 0.35 is a
 * lengthscale at which the unit cube still holds structure.
 *
 * - Lengthscales: the dimension-scaled prior of Hvarfner, Hellsten & Nardi,
 *   "Vanilla Bayesian optimization performs great in high dimensions" (ICML 2024):
 *   log ℓ ~ N(√2 + ½ ln d, 3). Growing the lengthscales like √d keeps the prior
 *   function complexity constant as dimensions are added.
 * - Outputscale: log σ² ~ N(0, 1) (mode e⁻¹ ≈ 0.37, median 1); the targets are
 *   standardised, so σ² is of order 1.
 * - Noise: log σ_n² ~ N(−4, 1), as BoTorch's default: mode e⁻⁵ ≈ 0.0067, median
 *   e⁻⁴ ≈ 0.018 in standardised units (noise std ≈ 0.08–0.14 of the targets'
 *   spread). LLM losses carry seed noise, so the prior leans away from exact
 *   interpolation, but data move it easily. A floor of {@link NOISE_FLOOR} keeps
 *   K + σ_n² I well conditioned.
 */

export const LENGTHSCALE_PRIOR_STD = Math.sqrt(3);
export const OUTPUTSCALE_PRIOR_MEAN = 0;
export const OUTPUTSCALE_PRIOR_STD = 1;
export const NOISE_PRIOR_MEAN = -4;
export const NOISE_PRIOR_STD = 1;
/** Smallest noise variance (standardised units) the GP ever uses. */
export const NOISE_FLOOR = 1e-6;

/** Mean of log ℓ in d dimensions: √2 + ½ ln d. */
export function lengthscalePriorMean(d: number): number {
  return Math.SQRT2 + 0.5 * Math.log(d);
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log of the log-normal density of e^t, with e^t ~ LogNormal(mean, std²). */
function logNormalLogDensity(t: number, mean: number, std: number): number {
  const z = (t - mean) / std;
  return -0.5 * z * z - Math.log(std) - HALF_LOG_2PI - t;
}

/** d/dt of {@link logNormalLogDensity}. */
function logNormalLogDensitySlope(t: number, mean: number, std: number): number {
  return -(t - mean) / (std * std) - 1;
}

/** The t maximising {@link logNormalLogDensity}: the log of the mode, μ − s². */
function logMode(mean: number, std: number): number {
  return mean - std * std;
}

/**
 * Log prior density of θ and, when grad is given, its gradient.
 * @param theta - d + 2 log-parameters (layout above).
 * @param grad - d + 2; receives ∂ log p / ∂θ.
 */
export function logPrior(theta: Float64Array, grad?: Float64Array): number {
  const d = theta.length - 2;
  const lengthscaleMean = lengthscalePriorMean(d);
  let value = 0;
  for (let j = 0; j < d; j++) {
    const t = theta[j]!;
    value += logNormalLogDensity(t, lengthscaleMean, LENGTHSCALE_PRIOR_STD);
    if (grad) grad[j] = logNormalLogDensitySlope(t, lengthscaleMean, LENGTHSCALE_PRIOR_STD);
  }
  const logOutputscale = theta[d]!;
  const logNoise = theta[d + 1]!;
  value += logNormalLogDensity(logOutputscale, OUTPUTSCALE_PRIOR_MEAN, OUTPUTSCALE_PRIOR_STD);
  value += logNormalLogDensity(logNoise, NOISE_PRIOR_MEAN, NOISE_PRIOR_STD);
  if (grad) {
    grad[d] = logNormalLogDensitySlope(logOutputscale, OUTPUTSCALE_PRIOR_MEAN, OUTPUTSCALE_PRIOR_STD);
    grad[d + 1] = logNormalLogDensitySlope(logNoise, NOISE_PRIOR_MEAN, NOISE_PRIOR_STD);
  }
  return value;
}

/** θ at the prior modes (each log(mode) = μ − s²), the cold start of the fit (d + 2). */
export function priorMode(d: number): Float64Array {
  const theta = new Float64Array(d + 2).fill(logMode(lengthscalePriorMean(d), LENGTHSCALE_PRIOR_STD));
  theta[d] = logMode(OUTPUTSCALE_PRIOR_MEAN, OUTPUTSCALE_PRIOR_STD);
  theta[d + 1] = Math.max(logMode(NOISE_PRIOR_MEAN, NOISE_PRIOR_STD), Math.log(NOISE_FLOOR));
  return theta;
}
