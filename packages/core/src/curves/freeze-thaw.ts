/*
 * A model of learning curves, not of (params, budget) points: the freeze–thaw GP
 * of Swersky, Snoek & Adams (2014). Configuration i's curve is
 *
 *   y_i(s) = f(x_i) + A φ(s) + g_i(s) + ε,   f ~ GP(m, σ_f² Matérn52(x, x')),
 *   φ(s) = (β / (s + β))^α,   g_i ~ GP(0, k_t) independently per curve,  k_t(s, s') = σ_t² β^α / (s + s' + β)^α,
 *
 * with s the budget as a fraction of the full one. k_t is an infinite mixture of
 * exponential decays (α, β the shape and rate of their Gamma mixing), so each
 * curve decays towards its configuration's asymptote f(x_i) at its own pace:
 * curves may cross, and a configuration that is best early can be worst late.
 * A φ(s) is the decay every curve shares (the same mixture's mean; Swersky et al.
 * give g_i a zero mean, which on real curves, that all fall by several units
 * before they part, makes an early value say almost nothing about f(x_i)).
 *
 * Inference needs no matrix over every point of every curve. Curve i, integrated
 * over its own g_i, says about f(x_i) exactly what one observation
 *   z_i = 1ᵀK_i⁻¹y_i / λ_i  with noise variance  v_i = 1/λ_i,   λ_i = 1ᵀK_i⁻¹1,
 * would (K_i = k_t(s_i, s_i) + σ_n² I): a GP over the configurations with
 * per-point noise, O(M³) for M curves plus O(Σ n_i³) for the curves.
 */
import { InvalidArgumentError } from "../errors.js";
import { Matern52Kernel } from "../gp/kernel.js";
import { choleskyWithJitter } from "../linalg/cholesky.js";
import { solveLower, solveLowerTransposed } from "../linalg/triangular-solve.js";
import { minimizeBounded } from "../optim/lbfgsb.js";
import type { EncodedDim } from "../space/encoded-dim.js";

/** One configuration's curve so far: its encoded point and (budget fraction, value) pairs. */
export interface ObservedCurve {
  /** The configuration in the unit cube (d). */
  readonly x: Float64Array;
  /** (s, y) with s in (0, 1] the budget as a fraction of the full one, s increasing; at least one. */
  readonly points: readonly (readonly [s: number, y: number])[];
}

export interface FreezeThawHyperparameters {
  /** Prior mean of the asymptote f. */
  readonly mean: number;
  /** σ_f²: prior variance of the asymptote. */
  readonly outputscale: number;
  /** One per encoded dimension. */
  readonly lengthscales: Float64Array;
  /** α and β of the decay kernel, and its variance σ_t² (at s = s' = 0). */
  readonly alpha: number;
  readonly beta: number;
  readonly decayVariance: number;
  /** A: the amplitude of the decay every curve shares, A (β / (s + β))^α. */
  readonly decayMean: number;
  /** σ_n²: observation noise of each point. */
  readonly noise: number;
}

/** A predicted value: mean and variance (of the latent curve, without observation noise). */
export interface CurvePrediction {
  readonly mean: number;
  readonly variance: number;
}

/** The shared decay A (β / (s + β))^α. */
export function sharedDecay(s: number, h: Pick<FreezeThawHyperparameters, "alpha" | "beta" | "decayMean">): number {
  return h.decayMean * Math.pow(h.beta / (s + h.beta), h.alpha);
}

/** k_t(s, s') = σ_t² β^α / (s + s' + β)^α. */
export function decayKernel(s: number, sPrime: number, h: Pick<FreezeThawHyperparameters, "alpha" | "beta" | "decayVariance">): number {
  return h.decayVariance * Math.pow(h.beta / (s + sPrime + h.beta), h.alpha);
}

/** What one curve contributes: its factor and the pieces of its pseudo-observation. */
interface CurveFactor {
  readonly s: Float64Array;
  readonly y: Float64Array;
  /** Cholesky factor of K_i = k_t(s_i, s_i) + σ_n² I. */
  readonly L: Float64Array;
  /** K_i⁻¹ 1 and K_i⁻¹ y. */
  readonly kInvOne: Float64Array;
  readonly kInvY: Float64Array;
  readonly lambda: number;
  /** The pseudo-observation z_i of f(x_i); its noise variance is 1/λ_i. */
  readonly z: number;
  /** log N(y_i; z_i 1, K_i) + ½ log(2π/λ_i): the part of the evidence f does not enter. */
  readonly logConstant: number;
}

function factorCurve(curve: ObservedCurve, h: FreezeThawHyperparameters): CurveFactor {
  const n = curve.points.length;
  const s = Float64Array.from(curve.points, (p) => p[0]);
  // The curve less the shared decay: what f(x_i) and its own g_i explain.
  const y = Float64Array.from(curve.points, (p) => p[1] - sharedDecay(p[0], h));
  const K = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b <= a; b++) {
      const k = decayKernel(s[a]!, s[b]!, h);
      K[a * n + b] = k;
      K[b * n + a] = k;
    }
    K[a * n + a]! += h.noise;
  }
  const { L } = choleskyWithJitter(K, n);
  const kInvOne = solveLowerTransposed(L, n, solveLower(L, n, new Float64Array(n).fill(1)));
  const kInvY = solveLowerTransposed(L, n, solveLower(L, n, y));
  let lambda = 0;
  let eta = 0;
  for (let a = 0; a < n; a++) {
    lambda += kInvOne[a]!;
    eta += kInvY[a]!;
  }
  const z = eta / lambda;
  // log N(y; z1, K) = −½ (y − z1)ᵀK⁻¹(y − z1) − ½ log|K| − (n/2) log 2π
  const residual = Float64Array.from(y, (v) => v - z);
  const w = solveLower(L, n, residual);
  let quad = 0;
  let logDet = 0;
  for (let a = 0; a < n; a++) {
    quad += w[a]! * w[a]!;
    logDet += 2 * Math.log(L[a * n + a]!);
  }
  const logConstant = -0.5 * quad - 0.5 * logDet - (n / 2) * Math.log(2 * Math.PI) + 0.5 * Math.log((2 * Math.PI) / lambda);
  return { s, y, L, kInvOne, kInvY, lambda, z, logConstant };
}

/** How values are standardised inside the model: (y − centre) / spread. */
export interface ValueScale {
  readonly centre: number;
  readonly spread: number;
}

/**
 * A freeze–thaw GP conditioned on a set of curves, with fixed hyperparameters
 * (in standardised units: see `scale`); it takes and answers values in the
 * curves' own units.
 */
export class FreezeThawModel {
  readonly hyperparameters: FreezeThawHyperparameters;
  readonly scale: ValueScale;
  readonly #curves: readonly ObservedCurve[];
  readonly #factors: readonly CurveFactor[];
  readonly #kernel: Matern52Kernel;
  /** Cholesky factor of A = σ_f² K_x + diag(1/λ), and A⁻¹(z − m). */
  readonly #A: Float64Array;
  readonly #alphaZ: Float64Array;
  readonly #logEvidence: number;

  constructor(dims: readonly EncodedDim[], curves: readonly ObservedCurve[], hyperparameters: FreezeThawHyperparameters, scale: ValueScale = { centre: 0, spread: 1 }) {
    checkCurves(dims, curves);
    if (!(scale.spread > 0 && Number.isFinite(scale.centre))) throw new InvalidArgumentError(`scale must have a finite centre and a positive spread, got ${JSON.stringify(scale)}`);
    this.hyperparameters = hyperparameters;
    this.scale = scale;
    this.#curves = curves;
    const standardised = curves.map((c) => ({ x: c.x, points: c.points.map(([s, y]) => [s, (y - scale.centre) / scale.spread] as const) }));
    this.#factors = standardised.map((c) => factorCurve(c, hyperparameters));
    this.#kernel = new Matern52Kernel(dims, { lengthscales: hyperparameters.lengthscales, outputscale: hyperparameters.outputscale });
    const M = curves.length;
    const A = new Float64Array(M * M);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j <= i; j++) {
        const k = this.#kernel.value(curves[i]!.x, curves[j]!.x);
        A[i * M + j] = k;
        A[j * M + i] = k;
      }
      A[i * M + i]! += 1 / this.#factors[i]!.lambda;
    }
    this.#A = choleskyWithJitter(A, M).L;
    const centred = Float64Array.from(this.#factors, (f) => f.z - hyperparameters.mean);
    const w = solveLower(this.#A, M, centred);
    this.#alphaZ = solveLowerTransposed(this.#A, M, w);
    let quad = 0;
    let logDet = 0;
    for (let i = 0; i < M; i++) {
      quad += w[i]! * w[i]!;
      logDet += 2 * Math.log(this.#A[i * M + i]!);
    }
    const zTerm = -0.5 * quad - 0.5 * logDet - (M / 2) * Math.log(2 * Math.PI);
    this.#logEvidence = zTerm + this.#factors.reduce((sum, f) => sum + f.logConstant, 0);
  }

  /** log p(every observed point, standardised | hyperparameters): the marginal likelihood the fit maximises. */
  get logEvidence(): number {
    return this.#logEvidence;
  }

  /** The generalised least-squares estimate of the mean for the other hyperparameters: 1ᵀA⁻¹z / 1ᵀA⁻¹1 (standardised). */
  glsMean(): number {
    const M = this.#curves.length;
    const z = Float64Array.from(this.#factors, (f) => f.z);
    const aInvZ = solveLowerTransposed(this.#A, M, solveLower(this.#A, M, z));
    const aInvOne = solveLowerTransposed(this.#A, M, solveLower(this.#A, M, new Float64Array(M).fill(1)));
    let num = 0;
    let den = 0;
    for (let i = 0; i < M; i++) {
      num += aInvZ[i]!;
      den += aInvOne[i]!;
    }
    return num / den;
  }

  /** A standardised prediction in the curves' units. */
  #unscaled(p: CurvePrediction): CurvePrediction {
    const { centre, spread } = this.scale;
    return { mean: centre + spread * p.mean, variance: spread * spread * p.variance };
  }

  /** The posterior of the asymptote f at x: mean and variance. */
  asymptote(x: Float64Array): CurvePrediction {
    return this.#unscaled(this.#asymptote(x));
  }

  #asymptote(x: Float64Array): CurvePrediction {
    const M = this.#curves.length;
    const k = Float64Array.from(this.#curves, (c) => this.#kernel.value(x, c.x));
    let mean = this.hyperparameters.mean;
    for (let i = 0; i < M; i++) mean += k[i]! * this.#alphaZ[i]!;
    const v = solveLower(this.#A, M, k);
    let explained = 0;
    for (let i = 0; i < M; i++) explained += v[i]! * v[i]!;
    return { mean, variance: Math.max(1e-12, this.hyperparameters.outputscale - explained) };
  }

  /**
   * The curve of configuration `curve` (one of the conditioning curves, by index)
   * or of a new configuration (a point x) at budget fraction `s`: its own
   * points pull the prediction along its decay, the other curves through the
   * asymptote's GP.
   */
  predict(target: number | Float64Array, s: number): CurvePrediction {
    const h = this.hyperparameters;
    const prior = decayKernel(s, s, h);
    if (typeof target !== "number") {
      const f = this.#asymptote(target);
      return this.#unscaled({ mean: f.mean + sharedDecay(s, h), variance: f.variance + prior });
    }
    const factor = this.#factors[target];
    if (factor === undefined) throw new InvalidArgumentError(`curve ${target} does not exist (the model has ${this.#factors.length})`);
    const f = this.#asymptote(this.#curves[target]!.x);
    // g(s) | y_i, f_i: mean w·(y_i − f_i 1), variance k_t(s,s) − w·k with w = K_i⁻¹k.
    const n = factor.s.length;
    const k = Float64Array.from(factor.s, (si) => decayKernel(si, s, h));
    const w = solveLowerTransposed(factor.L, n, solveLower(factor.L, n, k));
    let wy = 0;
    let wOne = 0;
    let wk = 0;
    for (let a = 0; a < n; a++) {
      wy += w[a]! * factor.y[a]!;
      wOne += w[a]!;
      wk += w[a]! * k[a]!;
    }
    const carry = 1 - wOne;
    return this.#unscaled({ mean: wy + carry * f.mean + sharedDecay(s, h), variance: Math.max(1e-12, carry * carry * f.variance + prior - wk) });
  }
}

function checkCurves(dims: readonly EncodedDim[], curves: readonly ObservedCurve[]): void {
  if (curves.length < 1) throw new InvalidArgumentError("a freeze–thaw model needs at least one curve, got none");
  for (const [i, curve] of curves.entries()) {
    if (curve.x.length !== dims.length) throw new InvalidArgumentError(`curve ${i}'s x must have ${dims.length} coordinates, got ${curve.x.length}`);
    if (curve.points.length < 1) throw new InvalidArgumentError(`curve ${i} must have at least one point, got none`);
    let previous = 0;
    for (const [s, y] of curve.points) {
      if (!(s > previous && s <= 1)) throw new InvalidArgumentError(`curve ${i}'s budget fractions must increase within (0, 1], got ${s} after ${previous}`);
      if (!Number.isFinite(y)) throw new InvalidArgumentError(`curve ${i}'s values must be finite, got ${y}`);
      previous = s;
    }
  }
}

/** Largest |A| of the shared decay, in standardised units. */
const DECAY_MEAN_BOUND = 50;

/** Bounds of the fit, on log scales; the values are in standardised units (the fit standardises y). */
const LOG_BOUNDS = {
  alpha: [Math.log(0.1), Math.log(10)],
  beta: [Math.log(1e-3), Math.log(10)],
  decayVariance: [Math.log(1e-4), Math.log(10)],
  noise: [Math.log(1e-6), Math.log(1)],
  outputscale: [Math.log(1e-3), Math.log(20)],
  lengthscale: [Math.log(0.02), Math.log(20)],
} as const;

/**
 * Fits the hyperparameters by maximising the marginal likelihood (a weak
 * log-normal prior on each keeps them off the bounds), on values standardised
 * by the last points' median and spread; the mean is the generalised
 * least-squares estimate at each step. Finite-difference gradients: the fit has
 * 6 + d parameters.
 */
export function fitFreezeThaw(dims: readonly EncodedDim[], curves: readonly ObservedCurve[]): FreezeThawModel {
  checkCurves(dims, curves);
  const finals = curves.map((c) => c.points.at(-1)![1]).sort((a, b) => a - b);
  const centre = finals[Math.floor(finals.length / 2)]!;
  const all = curves.flatMap((c) => c.points.map((p) => p[1]));
  const spread = Math.sqrt(all.reduce((sum, v) => sum + (v - centre) ** 2, 0) / all.length) || 1;
  const scale = { centre, spread };
  const d = dims.length;
  const unpack = (theta: Float64Array, mean: number): FreezeThawHyperparameters => ({
    mean,
    alpha: Math.exp(theta[0]!),
    beta: Math.exp(theta[1]!),
    decayVariance: Math.exp(theta[2]!),
    noise: Math.exp(theta[3]!),
    outputscale: Math.exp(theta[4]!),
    decayMean: theta[5]!,
    lengthscales: theta.slice(6).map(Math.exp),
  });
  const lower = Float64Array.of(LOG_BOUNDS.alpha[0], LOG_BOUNDS.beta[0], LOG_BOUNDS.decayVariance[0], LOG_BOUNDS.noise[0], LOG_BOUNDS.outputscale[0], -DECAY_MEAN_BOUND, ...Array(d).fill(LOG_BOUNDS.lengthscale[0]));
  const upper = Float64Array.of(LOG_BOUNDS.alpha[1], LOG_BOUNDS.beta[1], LOG_BOUNDS.decayVariance[1], LOG_BOUNDS.noise[1], LOG_BOUNDS.outputscale[1], DECAY_MEAN_BOUND, ...Array(d).fill(LOG_BOUNDS.lengthscale[1]));
  // The shared decay starts at the first points' mean lead over the last points' (standardised).
  const firsts = curves.map((c) => c.points[0]![1]);
  const lead = (firsts.reduce((sum, v) => sum + v, 0) / firsts.length - centre) / spread;
  const start = Float64Array.of(0, Math.log(0.5), Math.log(0.5), Math.log(1e-3), 0, Math.max(-DECAY_MEAN_BOUND, Math.min(DECAY_MEAN_BOUND, lead)), ...Array(d).fill(Math.log(0.5)));
  /** The mean at its GLS estimate for the other hyperparameters: one model built at mean 0 gives it. */
  const modelAt = (theta: Float64Array): FreezeThawModel => {
    const trial = new FreezeThawModel(dims, curves, unpack(theta, 0), scale);
    return new FreezeThawModel(dims, curves, unpack(theta, trial.glsMean()), scale);
  };
  const objective = (theta: Float64Array): number => {
    let penalty = 0;
    // A weak prior around the start on the log-scaled parameters; none on the amplitude A.
    for (let j = 0; j < theta.length; j++) if (j !== 5) penalty += 0.05 * (theta[j]! - start[j]!) ** 2;
    try {
      return -modelAt(theta).logEvidence + penalty;
    } catch {
      return Infinity;
    }
  };
  const STEP = 1e-4;
  const result = minimizeBounded(
    (theta, grad) => {
      const value = objective(theta);
      const probe = Float64Array.from(theta);
      for (let j = 0; j < theta.length; j++) {
        probe[j] = Math.min(upper[j]!, theta[j]! + STEP);
        const up = objective(probe);
        probe[j] = Math.max(lower[j]!, theta[j]! - STEP);
        const down = objective(probe);
        grad[j] = (up - down) / (Math.min(upper[j]!, theta[j]! + STEP) - Math.max(lower[j]!, theta[j]! - STEP));
        probe[j] = theta[j]!;
      }
      return value;
    },
    start,
    lower,
    upper,
    { maxIterations: 60 },
  );
  return modelAt(result.x);
}
