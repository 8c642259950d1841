/*
 * A model of learning curves, not of (params, budget) points: the freeze–thaw GP
 * of Swersky, Snoek & Adams (2014). Configuration i's curve is
 *
 *   y_i(s) = f(x_i) + a(x_i) φ(s) + g_i(s) + ε,   f ~ GP(m, σ_f² Matérn52(x, x')),  a ~ GP(A, σ_a² Matérn52),
 *   φ(s) = (β / (s + β))^α,   g_i ~ GP(0, k_t) independently per curve,  k_t(s, s') = σ_t² β^α / (s + s' + β)^α,
 *
 * with s the budget as a fraction of the full one. k_t is an infinite mixture of
 * exponential decays (α, β the shape and rate of their Gamma mixing), so each
 * curve decays towards its configuration's asymptote f(x_i) at its own pace:
 * curves may cross, and a configuration that is best early can be worst late.
 * a(x) φ(s) is the decay's expected part (the same mixture's mean), with an
 * amplitude that depends on the configuration: Swersky et al. give g_i a zero
 * mean, which on real curves, that all fall by several units before they part,
 * makes an early value say almost nothing about f(x_i); and how far a curve
 * still has to fall depends on its params (a high learning rate falls fast).
 *
 * Inference needs no matrix over every point of every curve. Curve i, integrated
 * over its own g_i, is a Gaussian likelihood of (f(x_i), a(x_i)) (precision
 * Φ_iᵀK_i⁻¹Φ_i, Φ_i = [1, φ(s_i)], K_i = k_t(s_i, s_i) + σ_n² I): O((2M)³) for M
 * curves plus O(Σ n_i³) for the curves.
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
  /** A: the mean amplitude of the decay, a(x) φ(s) with φ(s) = (β / (s + β))^α. */
  readonly decayMean: number;
  /** σ_a²: prior variance of a configuration's amplitude a(x) around A (a GP over x, with the asymptote's lengthscales). */
  readonly amplitudeVariance: number;
  /** σ_n²: observation noise of each point. */
  readonly noise: number;
}

/** A predicted value: mean and variance (of the latent curve, without observation noise). */
export interface CurvePrediction {
  readonly mean: number;
  readonly variance: number;
}

/** The decay's shape φ(s) = (β / (s + β))^α: the mean of the same mixture of exponential decays. */
export function decayShape(s: number, h: Pick<FreezeThawHyperparameters, "alpha" | "beta">): number {
  return Math.pow(h.beta / (s + h.beta), h.alpha);
}

/** k_t(s, s') = σ_t² β^α / (s + s' + β)^α. */
export function decayKernel(s: number, sPrime: number, h: Pick<FreezeThawHyperparameters, "alpha" | "beta" | "decayVariance">): number {
  return h.decayVariance * Math.pow(h.beta / (s + sPrime + h.beta), h.alpha);
}

/**
 * What curve i says about its configuration's (f_i, a_i), with Φ_i = [1, φ(s_i)]
 * and K_i = k_t(s_i, s_i) + σ_n² I: the likelihood is Gaussian in (f_i, a_i)
 * with precision P_i = Φ_iᵀK_i⁻¹Φ_i and information b_i = Φ_iᵀK_i⁻¹y_i.
 */
interface CurveFactor {
  readonly s: Float64Array;
  readonly y: Float64Array;
  readonly phi: Float64Array;
  /** Cholesky factor of K_i. */
  readonly L: Float64Array;
  /** P_i as (P00, P01, P11). */
  readonly p00: number;
  readonly p01: number;
  readonly p11: number;
  readonly b0: number;
  readonly b1: number;
  /** yᵀK_i⁻¹y and log|K_i|. */
  readonly yKy: number;
  readonly logDet: number;
}

function factorCurve(curve: ObservedCurve, h: FreezeThawHyperparameters): CurveFactor {
  const n = curve.points.length;
  const s = Float64Array.from(curve.points, (p) => p[0]);
  const y = Float64Array.from(curve.points, (p) => p[1]);
  const phi = Float64Array.from(s, (si) => decayShape(si, h));
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
  // Whitened: u = L⁻¹1, v = L⁻¹φ, w = L⁻¹y; then P00 = u·u, P01 = u·v, ...
  const u = solveLower(L, n, new Float64Array(n).fill(1));
  const v = solveLower(L, n, phi);
  const w = solveLower(L, n, y);
  let p00 = 0, p01 = 0, p11 = 0, b0 = 0, b1 = 0, yKy = 0, logDet = 0;
  for (let a = 0; a < n; a++) {
    p00 += u[a]! * u[a]!;
    p01 += u[a]! * v[a]!;
    p11 += v[a]! * v[a]!;
    b0 += u[a]! * w[a]!;
    b1 += v[a]! * w[a]!;
    yKy += w[a]! * w[a]!;
    logDet += 2 * Math.log(L[a * n + a]!);
  }
  return { s, y, phi, L, p00, p01, p11, b0, b1, yKy, logDet };
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
 *
 * The latent u = (f_1..f_M, a_1..a_M) has prior N(μ0, Σ0), Σ0 = diag(K_f, K_a),
 * and the curves add the block-sparse precision P: its posterior covariance is
 * L0 S⁻¹ L0ᵀ with L0 = chol(Σ0) and S = I + L0ᵀ P L0 (eigenvalues ≥ 1, so well
 * conditioned whatever the curves), and the evidence follows from the matrix
 * determinant lemma, |Cov y| = Π|K_i| · |S|.
 */
export class FreezeThawModel {
  readonly hyperparameters: FreezeThawHyperparameters;
  readonly scale: ValueScale;
  readonly #curves: readonly ObservedCurve[];
  readonly #factors: readonly CurveFactor[];
  readonly #kernel: Matern52Kernel;
  /** Cholesky factors of K_f and K_a (M × M each) and of S (2M × 2M). */
  readonly #Lf: Float64Array;
  readonly #La: Float64Array;
  readonly #LS: Float64Array;
  /** Σ0⁻¹(μ − μ0) = L0⁻ᵀ S⁻¹ L0ᵀ c, split into its f and a halves: the weights of a new point's prediction. */
  readonly #weights: Float64Array;
  readonly #logEvidence: number;

  constructor(dims: readonly EncodedDim[], curves: readonly ObservedCurve[], hyperparameters: FreezeThawHyperparameters, scale: ValueScale = { centre: 0, spread: 1 }) {
    checkCurves(dims, curves);
    if (!(scale.spread > 0 && Number.isFinite(scale.centre))) throw new InvalidArgumentError(`scale must have a finite centre and a positive spread, got ${JSON.stringify(scale)}`);
    if (!(hyperparameters.amplitudeVariance > 0)) throw new InvalidArgumentError(`amplitudeVariance must be positive, got ${hyperparameters.amplitudeVariance}`);
    this.hyperparameters = hyperparameters;
    this.scale = scale;
    this.#curves = curves;
    const standardised = curves.map((c) => ({ x: c.x, points: c.points.map(([s, y]) => [s, (y - scale.centre) / scale.spread] as const) }));
    const factors = standardised.map((c) => factorCurve(c, hyperparameters));
    this.#factors = factors;
    this.#kernel = new Matern52Kernel(dims, { lengthscales: hyperparameters.lengthscales, outputscale: 1 });
    const M = curves.length;
    const shape = new Float64Array(M * M);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j <= i; j++) {
        const k = this.#kernel.value(curves[i]!.x, curves[j]!.x);
        shape[i * M + j] = k;
        shape[j * M + i] = k;
      }
    }
    this.#Lf = choleskyWithJitter(shape.map((k) => hyperparameters.outputscale * k), M).L;
    this.#La = choleskyWithJitter(shape.map((k) => hyperparameters.amplitudeVariance * k), M).L;
    // S = I + L0ᵀ P L0, with P's blocks diagonal: D00 = diag(P00), D01, D11.
    const N = 2 * M;
    const S = new Float64Array(N * N);
    const Lf = this.#Lf;
    const La = this.#La;
    for (let r = 0; r < M; r++) {
      for (let c = 0; c <= r; c++) {
        // (L0ᵀ P L0)[r, c] = Σ_i L[i, r] D[i] L[i, c]; L lower, so i ≥ max(r, c) = r.
        let ff = 0, aa = 0, fa = 0, af = 0;
        for (let i = r; i < M; i++) {
          const fi = factors[i]!;
          ff += Lf[i * M + r]! * fi.p00 * Lf[i * M + c]!;
          aa += La[i * M + r]! * fi.p11 * La[i * M + c]!;
          fa += Lf[i * M + r]! * fi.p01 * La[i * M + c]!;
          af += La[i * M + r]! * fi.p01 * Lf[i * M + c]!;
        }
        S[r * N + c] = ff;
        S[c * N + r] = ff;
        S[(M + r) * N + (M + c)] = aa;
        S[(M + c) * N + (M + r)] = aa;
        // The off-diagonal block (f rows, a columns) and its transpose; `af` is that block's (c, r)
        // entry, so the pairs r ≥ c fill both of its triangles.
        S[r * N + (M + c)] = fa;
        S[(M + c) * N + r] = fa;
        S[c * N + (M + r)] = af;
        S[(M + r) * N + c] = af;
      }
    }
    for (let k = 0; k < N; k++) S[k * N + k]! += 1;
    this.#LS = choleskyWithJitter(S, N).L;
    // c = b − P μ0, μ0 = (m 1, A 1).
    const m = hyperparameters.mean;
    const A = hyperparameters.decayMean;
    const c = new Float64Array(N);
    for (let i = 0; i < M; i++) {
      const fi = factors[i]!;
      c[i] = fi.b0 - fi.p00 * m - fi.p01 * A;
      c[M + i] = fi.b1 - fi.p01 * m - fi.p11 * A;
    }
    const l0tc = this.#l0t(c);
    const t = solveLower(this.#LS, N, l0tc);
    this.#weights = this.#l0InvT(solveLowerTransposed(this.#LS, N, t));
    // rᵀC⁻¹r = Σ r_iᵀK_i⁻¹r_i − |LS⁻¹ L0ᵀ c|², with r_iᵀK_i⁻¹r_i = yKy − 2μ0ᵀb + μ0ᵀPμ0.
    let quad = 0;
    let logDet = 0;
    let points = 0;
    for (const fi of factors) {
      quad += fi.yKy - 2 * (m * fi.b0 + A * fi.b1) + (m * m * fi.p00 + 2 * m * A * fi.p01 + A * A * fi.p11);
      logDet += fi.logDet;
      points += fi.s.length;
    }
    for (let k = 0; k < N; k++) {
      quad -= t[k]! * t[k]!;
      logDet += 2 * Math.log(this.#LS[k * N + k]!);
    }
    this.#logEvidence = -0.5 * quad - 0.5 * logDet - (points / 2) * Math.log(2 * Math.PI);
  }

  /** L0ᵀ v for v = (v_f, v_a). */
  #l0t(v: Float64Array): Float64Array {
    const M = this.#curves.length;
    const out = new Float64Array(2 * M);
    for (let r = 0; r < M; r++) {
      let f = 0, a = 0;
      for (let i = r; i < M; i++) {
        f += this.#Lf[i * M + r]! * v[i]!;
        a += this.#La[i * M + r]! * v[M + i]!;
      }
      out[r] = f;
      out[M + r] = a;
    }
    return out;
  }

  /** L0⁻ᵀ v. */
  #l0InvT(v: Float64Array): Float64Array {
    const M = this.#curves.length;
    const out = new Float64Array(2 * M);
    out.set(solveLowerTransposed(this.#Lf, M, v.subarray(0, M)), 0);
    out.set(solveLowerTransposed(this.#La, M, v.subarray(M)), M);
    return out;
  }

  /** log p(every observed point, standardised | hyperparameters): the marginal likelihood the fit maximises. */
  get logEvidence(): number {
    return this.#logEvidence;
  }

  /** A standardised prediction in the curves' units. */
  #unscaled(p: CurvePrediction): CurvePrediction {
    const { centre, spread } = this.scale;
    return { mean: centre + spread * p.mean, variance: spread * spread * p.variance };
  }

  /** The posterior of the asymptote f at x: mean and variance. */
  asymptote(x: Float64Array): CurvePrediction {
    const { mean, cov } = this.#latentAt(x);
    return this.#unscaled({ mean: mean[0], variance: Math.max(1e-12, cov[0]) });
  }

  /**
   * The posterior of (f, a) at x: means, and covariance as (ff, fa, aa). Its
   * covariance with the conditioning latents goes through q = L0⁻¹Σ0*: Cov =
   * Σ** − qᵀq + qᵀS⁻¹q (for a conditioning point, q reproduces its own row).
   */
  #latentAt(x: Float64Array): { mean: [number, number]; cov: [number, number, number] } {
    const h = this.hyperparameters;
    const M = this.#curves.length;
    const N = 2 * M;
    const k = Float64Array.from(this.#curves, (c) => this.#kernel.value(x, c.x));
    let f = h.mean;
    let a = h.decayMean;
    for (let i = 0; i < M; i++) {
      f += h.outputscale * k[i]! * this.#weights[i]!;
      a += h.amplitudeVariance * k[i]! * this.#weights[M + i]!;
    }
    // q_f = L0⁻¹ (σ_f² k, 0), q_a = L0⁻¹ (0, σ_a² k).
    const qf = new Float64Array(N);
    qf.set(solveLower(this.#Lf, M, k.map((v) => h.outputscale * v)), 0);
    const qa = new Float64Array(N);
    qa.set(solveLower(this.#La, M, k.map((v) => h.amplitudeVariance * v)), M);
    const rf = solveLower(this.#LS, N, qf);
    const ra = solveLower(this.#LS, N, qa);
    let qfqf = 0, qaqa = 0, rfrf = 0, rara = 0, rfra = 0;
    for (let j = 0; j < N; j++) {
      qfqf += qf[j]! * qf[j]!;
      qaqa += qa[j]! * qa[j]!;
      rfrf += rf[j]! * rf[j]!;
      rara += ra[j]! * ra[j]!;
      rfra += rf[j]! * ra[j]!;
    }
    // qfᵀqa = 0: they live in different halves.
    return { mean: [f, a], cov: [h.outputscale - qfqf + rfrf, rfra, h.amplitudeVariance - qaqa + rara] };
  }

  /**
   * The curve of configuration `target` (one of the conditioning curves, by
   * index) or of a new configuration (a point x) at budget fraction `s`: its own
   * points pull the prediction along its decay, the other curves through the
   * GPs of the asymptote and of the decay's amplitude.
   */
  predict(target: number | Float64Array, s: number): CurvePrediction {
    const h = this.hyperparameters;
    const prior = decayKernel(s, s, h);
    const phiS = decayShape(s, h);
    if (typeof target !== "number") {
      const { mean, cov } = this.#latentAt(target);
      return this.#unscaled({ mean: mean[0] + phiS * mean[1], variance: Math.max(1e-12, cov[0] + 2 * phiS * cov[1] + phiS * phiS * cov[2] + prior) });
    }
    const factor = this.#factors[target];
    if (factor === undefined) throw new InvalidArgumentError(`curve ${target} does not exist (the model has ${this.#factors.length})`);
    const { mean, cov } = this.#latentAt(this.#curves[target]!.x);
    // g(s) | y_i, f_i, a_i: mean w·(y_i − f_i 1 − a_i φ_i), variance k_t(s,s) − w·k, w = K_i⁻¹k.
    const n = factor.s.length;
    const k = Float64Array.from(factor.s, (si) => decayKernel(si, s, h));
    const w = solveLowerTransposed(factor.L, n, solveLower(factor.L, n, k));
    let wy = 0, wOne = 0, wPhi = 0, wk = 0;
    for (let j = 0; j < n; j++) {
      wy += w[j]! * factor.y[j]!;
      wOne += w[j]!;
      wPhi += w[j]! * factor.phi[j]!;
      wk += w[j]! * k[j]!;
    }
    const vf = 1 - wOne;
    const va = phiS - wPhi;
    const variance = vf * vf * cov[0] + 2 * vf * va * cov[1] + va * va * cov[2] + prior - wk;
    return this.#unscaled({ mean: wy + vf * mean[0] + va * mean[1], variance: Math.max(1e-12, variance) });
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
 * by the last points' median and spread. Finite-difference gradients: the fit
 * has 8 + d parameters.
 */
export function fitFreezeThaw(dims: readonly EncodedDim[], curves: readonly ObservedCurve[]): FreezeThawModel {
  checkCurves(dims, curves);
  const finals = curves.map((c) => c.points.at(-1)![1]).sort((a, b) => a - b);
  const centre = finals[Math.floor(finals.length / 2)]!;
  const all = curves.flatMap((c) => c.points.map((p) => p[1]));
  const spread = Math.sqrt(all.reduce((sum, v) => sum + (v - centre) ** 2, 0) / all.length) || 1;
  const scale = { centre, spread };
  const d = dims.length;
  const unpack = (theta: Float64Array): FreezeThawHyperparameters => ({
    alpha: Math.exp(theta[0]!),
    beta: Math.exp(theta[1]!),
    decayVariance: Math.exp(theta[2]!),
    noise: Math.exp(theta[3]!),
    outputscale: Math.exp(theta[4]!),
    decayMean: theta[5]!,
    mean: theta[6]!,
    amplitudeVariance: Math.exp(theta[7]!),
    lengthscales: theta.slice(8).map(Math.exp),
  });
  const lower = Float64Array.of(LOG_BOUNDS.alpha[0], LOG_BOUNDS.beta[0], LOG_BOUNDS.decayVariance[0], LOG_BOUNDS.noise[0], LOG_BOUNDS.outputscale[0], -DECAY_MEAN_BOUND, -DECAY_MEAN_BOUND, LOG_BOUNDS.outputscale[0], ...Array(d).fill(LOG_BOUNDS.lengthscale[0]));
  const upper = Float64Array.of(LOG_BOUNDS.alpha[1], LOG_BOUNDS.beta[1], LOG_BOUNDS.decayVariance[1], LOG_BOUNDS.noise[1], LOG_BOUNDS.outputscale[1], DECAY_MEAN_BOUND, DECAY_MEAN_BOUND, LOG_BOUNDS.outputscale[1], ...Array(d).fill(LOG_BOUNDS.lengthscale[1]));
  // The shared decay starts at the first points' mean lead over the last points' (standardised).
  const firsts = curves.map((c) => c.points[0]![1]);
  const lead = (firsts.reduce((sum, v) => sum + v, 0) / firsts.length - centre) / spread;
  const start = Float64Array.of(0, Math.log(0.5), Math.log(0.5), Math.log(1e-3), 0, Math.max(-DECAY_MEAN_BOUND, Math.min(DECAY_MEAN_BOUND, lead)), 0, Math.log(0.1), ...Array(d).fill(Math.log(0.5)));
  const modelAt = (theta: Float64Array): FreezeThawModel => new FreezeThawModel(dims, curves, unpack(theta), scale);
  const objective = (theta: Float64Array): number => {
    let penalty = 0;
    // A weak prior around the start on the log-scaled parameters; none on the two means (A, m).
    for (let j = 0; j < theta.length; j++) if (j !== 5 && j !== 6) penalty += 0.05 * (theta[j]! - start[j]!) ** 2;
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
