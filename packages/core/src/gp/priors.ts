/**
 * Priors on the GP hyperparameters. Targets are standardised and points live in
 * the unit cube, so one set of priors serves every study.
 *
 * Log-parameter vector θ (length d + 2): log ℓ_0 … log ℓ_{d−1}, log σ², log σ_n².
 * The search runs in θ, but the MAP estimate is that of the densities of the
 * parameters themselves (no Jacobian term), so each prior's mode is where it
 * says it is.
 *
 * - Lengthscales: log p(ℓ) = −w((ℓ/s)² + (s/ℓ)²), w = 0.1, s = 1 — flat-ish
 *   within a decade of s, then steep both ways: short enough lengthscales to
 *   follow a cliff cost a few nats, so a failed region's wall is partly
 *   explained as noise instead of bending the whole surface around it.
 * - Outputscale: σ² ~ Gamma(2, 1), mode 1, the variance of standardised targets.
 * - Noise: σ_n² ~ Gamma(1.1, 30), mode 1/300 but nearly flat below it: moving
 *   from the mode down to the floor costs about 0.7 nats, so a noise-free
 *   objective is interpolated (the search can refine its optimum) while a real
 *   seed-to-seed spread is still learned from the data.
 *
 * These are the shapes of Optuna's GPSampler priors. Measured against the
 * log-normal priors used before (log σ_n² ~ N(−4, 1), which charges ~39 nats for
 * reaching the floor, and Hvarfner et al.'s log ℓ ~ N(√2 + ½ ln d, 3)), 10
 * seeds, median log10 regret: branin −2.68 → −3.70, hartmann6 −1.93 → −3.69,
 * llm-mixed −4.83 → −5.17, levy6 0.15 → −0.35, styblinski-tang4 1.01 → 0.90,
 * ackley5 0.60 → 0.84 and rosenbrock4 1.06 → 1.33 (worse: both reward
 * smoothing over ripples or a narrow valley). The Gamma noise prior alone with
 * the log-normal lengthscales was worse on llm-mixed (−4.70) and levy6 (0.39).
 * On a loss surface told at 80 points the fitted noise std is 3e-4 of a range
 * of 1.3 without noise (2.8e-3 before) and 9.9e-3 with a true spread of 1e-2.
 */

/** Smallest noise variance (standardised units) the GP ever uses. */
export const NOISE_FLOOR = 1e-6;

const LENGTHSCALE_PRIOR_WEIGHT = 0.1;
const OUTPUTSCALE_PRIOR = { shape: 2, rate: 1 } as const;
const NOISE_PRIOR = { shape: 1.1, rate: 30 } as const;

/** A log-density of e^t (up to a constant), its slope in t, and the t that maximises it. */
interface LogDensity {
  value(t: number): number;
  slope(t: number): number;
  readonly argmax: number;
}

/** Gamma(shape, rate) of x = e^t: (shape − 1) t − rate·e^t. */
function gammaOfExp(shape: number, rate: number): LogDensity {
  return {
    value: (t) => (shape - 1) * t - rate * Math.exp(t),
    slope: (t) => shape - 1 - rate * Math.exp(t),
    argmax: Math.log((shape - 1) / rate),
  };
}

/** −w((ℓ/s)² + (s/ℓ)²) of ℓ = e^t: symmetric in log(ℓ/s), maximal at ℓ = s. */
function reciprocalSquares(weight: number, scale: number): LogDensity {
  const logScale = Math.log(scale);
  return {
    value: (t) => -weight * (Math.exp(2 * (t - logScale)) + Math.exp(-2 * (t - logScale))),
    slope: (t) => -2 * weight * (Math.exp(2 * (t - logScale)) - Math.exp(-2 * (t - logScale))),
    argmax: logScale,
  };
}

/**
 * The lengthscale prior's centre in d dimensions: 1 in every d. Growing it like
 * √(d/6) was no better on hartmann6 embedded in 20 dimensions (6 seeds, median
 * log10 regret −1.75 against −1.70 at 1), so the simpler prior stays.
 */
export function lengthscalePriorScale(_d: number): number {
  return 1;
}

function priorsFor(d: number): { lengthscale: LogDensity; outputscale: LogDensity; noise: LogDensity } {
  return {
    lengthscale: reciprocalSquares(LENGTHSCALE_PRIOR_WEIGHT, lengthscalePriorScale(d)),
    outputscale: gammaOfExp(OUTPUTSCALE_PRIOR.shape, OUTPUTSCALE_PRIOR.rate),
    noise: gammaOfExp(NOISE_PRIOR.shape, NOISE_PRIOR.rate),
  };
}

/**
 * Log prior density of θ (up to a constant) and, when grad is given, its gradient.
 * @param theta - d + 2 log-parameters (layout above).
 * @param grad - d + 2; receives ∂ log p / ∂θ.
 */
export function logPrior(theta: Float64Array, grad?: Float64Array): number {
  const d = theta.length - 2;
  const priors = priorsFor(d);
  let value = 0;
  for (let j = 0; j < d; j++) {
    value += priors.lengthscale.value(theta[j]!);
    if (grad) grad[j] = priors.lengthscale.slope(theta[j]!);
  }
  value += priors.outputscale.value(theta[d]!) + priors.noise.value(theta[d + 1]!);
  if (grad) {
    grad[d] = priors.outputscale.slope(theta[d]!);
    grad[d + 1] = priors.noise.slope(theta[d + 1]!);
  }
  return value;
}

/** θ at the prior modes (the noise no lower than the floor), the cold start of the fit (d + 2). */
export function priorMode(d: number): Float64Array {
  const priors = priorsFor(d);
  const theta = new Float64Array(d + 2).fill(priors.lengthscale.argmax);
  theta[d] = priors.outputscale.argmax;
  theta[d + 1] = Math.max(priors.noise.argmax, Math.log(NOISE_FLOOR));
  return theta;
}
