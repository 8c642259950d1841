import { InvalidArgumentError } from "../errors.js";
import { appendToCholesky } from "../linalg/cholesky-append.js";
import { choleskyWithJitter } from "../linalg/cholesky.js";
import {
  solveLower,
  solveLowerMany,
  solveLowerTransposed,
  solveUpper,
  transposeLower,
} from "../linalg/triangular-solve.js";
import type { EncodedDim } from "../space/encoded-dim.js";
import type { KernelHyperparameters } from "./kernel.js";
import { Matern52Kernel, matern52Shape, matern52SlopeInSquaredDistance } from "./kernel.js";
import { OutputTransform } from "./output-transform.js";

/** Hyperparameters of the GP, all in model units. */
export interface GPHyperparameters extends KernelHyperparameters {
  /** d lengthscales. */
  readonly lengthscales: Float64Array;
  readonly outputscale: number;
  /** Observation-noise variance σ_n². */
  readonly noise: number;
}

/**
 * Smallest latent variance reported: keeps σ = √variance usable as a divisor in
 * acquisition functions where the posterior collapses onto a training point.
 */
const MIN_VARIANCE = 1e-12;
const SQRT5 = Math.sqrt(5);

/** What a {@link GaussianProcess} is built from. */
export interface GaussianProcessState {
  readonly X: readonly Float64Array[];
  readonly dims: readonly EncodedDim[];
  readonly hyperparameters: GPHyperparameters;
  readonly transform: OutputTransform;
  readonly yModel: Float64Array;
  /** n × n lower factor of K + (σ_n² + jitter) I. */
  readonly L: Float64Array;
  readonly jitter: number;
  /**
   * The GP this one extends: its points are this one's first parent.n, with the
   * same hyperparameters and jitter, so its factor is the top-left block of L.
   * Lets {@link GaussianProcess.predict} extend the parent's remembered posteriors.
   */
  readonly parent?: GaussianProcess;
}

/**
 * What a GP keeps of a prediction at a large set of points (see
 * {@link GaussianProcess.predict}): V = L⁻¹ K(X, Xs) by rows (m × n) and each
 * row's squared norm, the part of the prior variance the data explains.
 */
interface RememberedPosterior {
  readonly V: Float64Array;
  readonly explained: Float64Array;
}

/**
 * Predictions at this many points or more are remembered: the acquisition
 * optimiser scores one set of raw candidates for every point of a batch, and a
 * fantasised GP extends its parent's V by its new columns in O(m·n·p) instead of
 * solving afresh in O(m·n²).
 */
const REMEMBER_MIN_POINTS = 32;

/**
 * Posterior of a zero-mean Matérn-5/2 GP on standardised targets, conditioned on
 * n points at fixed hyperparameters. Immutable: {@link fantasize} returns a new
 * GP. Every solve goes through the Cholesky factor, never an explicit inverse.
 * Build one with `fitGP` (MAP hyperparameters) or {@link conditionGP} (given ones).
 */
export class GaussianProcess {
  readonly hyperparameters: GPHyperparameters;
  readonly dims: readonly EncodedDim[];
  readonly n: number;
  /** n training targets in model units (after transform + standardisation). */
  readonly yModel: Float64Array;
  /** min(yModel). */
  readonly bestModel: number;
  private readonly X: readonly Float64Array[];
  private readonly transform: OutputTransform;
  private readonly kernel: Matern52Kernel;
  /** n × d training points, scaled by the kernel. */
  private readonly S: Float64Array;
  private readonly L: Float64Array;
  /** Lᵀ by rows, built on the first gradient call: makes its back substitution contiguous. */
  private U: Float64Array | undefined;
  /** The parent's Lᵀ by rows, if it had built it: this GP's U extends it instead of transposing L afresh. */
  private parentU: Float64Array | undefined;
  private readonly jitter: number;
  /** L⁻¹ y (n): the mean at points with V = L⁻¹ K(X, ·) is Vᵀ z. */
  private readonly z: Float64Array;
  /** K⁻¹ y (n). */
  private readonly alpha: Float64Array;
  private readonly remembered = new WeakMap<readonly Float64Array[], RememberedPosterior>();
  /** The parent's remembered posteriors and size; not the parent itself, whose factor a chain of fantasies need not keep. */
  private readonly parent: { readonly n: number; readonly remembered: WeakMap<readonly Float64Array[], RememberedPosterior> } | undefined;
  private readonly scratch: { k: Float64Array; v: Float64Array; g: Float64Array; x: Float64Array };
  private batchBuffer = new Float64Array(0);

  /** @internal Use fitGP or conditionGP. */
  constructor(state: GaussianProcessState) {
    this.X = state.X;
    this.dims = state.dims;
    this.hyperparameters = state.hyperparameters;
    this.transform = state.transform;
    this.yModel = state.yModel;
    this.L = state.L;
    this.jitter = state.jitter;
    const n = state.X.length;
    this.n = n;
    let best = Infinity;
    for (let i = 0; i < n; i++) best = Math.min(best, state.yModel[i]!);
    this.bestModel = best;
    this.kernel = new Matern52Kernel(state.dims, state.hyperparameters);
    this.S = this.kernel.scale(state.X);
    this.z = solveLower(this.L, n, state.yModel);
    this.alpha = solveLowerTransposed(this.L, n, this.z);
    this.parent = state.parent === undefined ? undefined : { n: state.parent.n, remembered: state.parent.remembered };
    this.parentU = state.parent?.U;
    this.scratch = {
      k: new Float64Array(n),
      v: new Float64Array(n),
      g: new Float64Array(n),
      x: new Float64Array(state.dims.length),
    };
  }

  /** A raw objective value in model units. */
  toModelUnits(yRaw: number): number {
    return this.transform.forward(yRaw);
  }

  /** A model-unit value in the objective's units. */
  fromModelUnits(t: number): number {
    return this.transform.inverse(t);
  }

  /**
   * The posterior mean alone, model units: k(x, X) α, O(n) per point where
   * {@link predict}'s variance costs O(n²). For many points whose uncertainty is
   * not needed (a main-effect integral over the space).
   * @param Xs - m × d points.
   */
  predictMean(Xs: readonly Float64Array[]): Float64Array {
    const m = Xs.length;
    const n = this.n;
    const mean = new Float64Array(m);
    // In blocks, so that the cross-kernel buffer stays small however many points there are.
    const block = 256;
    if (this.batchBuffer.length < block * n) this.batchBuffer = new Float64Array(block * n);
    for (let start = 0; start < m; start += block) {
      const rows = Math.min(block, m - start);
      const Ks = this.batchBuffer.subarray(0, rows * n);
      this.kernel.cross(this.kernel.scale(Xs.slice(start, start + rows)), rows, this.S, n, Ks);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        const o = r * n;
        for (let i = 0; i < n; i++) s += Ks[o + i]! * this.alpha[i]!;
        mean[start + r] = s;
      }
    }
    return mean;
  }

  /**
   * Latent posterior (variance without observation noise, floored at 1e-12),
   * model units. The m triangular solves run as one blocked solve.
   *
   * An array of REMEMBER_MIN_POINTS points or more is remembered (weakly, by
   * identity, so it must not be modified afterwards): predicting at the same
   * array again costs O(m·n), and so does predicting there with a GP fantasised
   * from this one, after O(m·n·p) for its p new points.
   * @param Xs - m × d points.
   * @returns mean (m) and variance (m).
   */
  predict(Xs: readonly Float64Array[]): { mean: Float64Array; variance: Float64Array } {
    if (Xs.length >= REMEMBER_MIN_POINTS) return this.fromRemembered(this.rememberedAt(Xs));
    const m = Xs.length;
    const n = this.n;
    const mean = new Float64Array(m);
    const variance = new Float64Array(m);
    if (this.batchBuffer.length < m * n) this.batchBuffer = new Float64Array(m * n);
    const Ks = this.batchBuffer.subarray(0, m * n);
    this.kernel.cross(this.kernel.scale(Xs), m, this.S, n, Ks);
    for (let r = 0; r < m; r++) {
      let s = 0;
      const o = r * n;
      for (let i = 0; i < n; i++) s += Ks[o + i]! * this.alpha[i]!;
      mean[r] = s;
    }
    const V = solveLowerMany(this.L, n, Ks, m, Ks);
    const prior = this.hyperparameters.outputscale;
    for (let r = 0; r < m; r++) {
      let s = 0;
      const o = r * n;
      for (let i = 0; i < n; i++) s += V[o + i]! * V[o + i]!;
      variance[r] = Math.max(prior - s, MIN_VARIANCE);
    }
    return { mean, variance };
  }

  /** V and its row norms at Xs: remembered, extended from the parent's, or solved afresh. */
  private rememberedAt(Xs: readonly Float64Array[]): RememberedPosterior {
    let found = this.remembered.get(Xs);
    if (found === undefined) {
      const fromParent = this.parent?.remembered.get(Xs);
      found = fromParent !== undefined ? this.extendRemembered(Xs, fromParent, this.parent!.n) : this.solveRemembered(Xs);
      this.remembered.set(Xs, found);
    }
    return found;
  }

  private solveRemembered(Xs: readonly Float64Array[]): RememberedPosterior {
    const m = Xs.length;
    const n = this.n;
    const V = this.kernel.cross(this.kernel.scale(Xs), m, this.S, n);
    solveLowerMany(this.L, n, V, m, V);
    const explained = new Float64Array(m);
    for (let r = 0; r < m; r++) {
      let s = 0;
      const o = r * n;
      for (let i = 0; i < n; i++) s += V[o + i]! * V[o + i]!;
      explained[r] = s;
    }
    return { V, explained };
  }

  /**
   * The parent's V (m × n0) grown by the columns of the points after its n0:
   * forward substitution continued through the new rows of L, the same
   * recurrence as a solve from scratch.
   */
  private extendRemembered(Xs: readonly Float64Array[], parent: RememberedPosterior, n0: number): RememberedPosterior {
    const m = Xs.length;
    const n = this.n;
    const p = n - n0;
    const d = this.dims.length;
    const L = this.L;
    const kNew = this.kernel.cross(this.kernel.scale(Xs), m, this.S.subarray(n0 * d), p); // m × p
    const V = new Float64Array(m * n);
    const explained = Float64Array.from(parent.explained);
    for (let r = 0; r < m; r++) {
      const o = r * n;
      V.set(parent.V.subarray(r * n0, r * n0 + n0), o);
      for (let a = 0; a < p; a++) {
        const i = n0 + a;
        const ri = i * n;
        let s = 0;
        for (let k = 0; k < i; k++) s += L[ri + k]! * V[o + k]!;
        const v = (kNew[r * p + a]! - s) / L[ri + i]!;
        V[o + i] = v;
        explained[r]! += v * v;
      }
    }
    return { V, explained };
  }

  private fromRemembered({ V, explained }: RememberedPosterior): { mean: Float64Array; variance: Float64Array } {
    const m = explained.length;
    const n = this.n;
    const mean = new Float64Array(m);
    const variance = new Float64Array(m);
    const prior = this.hyperparameters.outputscale;
    for (let r = 0; r < m; r++) {
      let s = 0;
      const o = r * n;
      for (let i = 0; i < n; i++) s += V[o + i]! * this.z[i]!;
      mean[r] = s;
      variance[r] = Math.max(prior - explained[r]!, MIN_VARIANCE);
    }
    return { mean, variance };
  }

  /**
   * Posterior at one point with its gradients.
   * @param x - d.
   * @param dMean - d; receives ∂mean/∂x (0 on categorical dims).
   * @param dVariance - d; receives ∂variance/∂x (0 on categorical dims, and 0
   *   where the variance is clamped at its floor).
   */
  predictWithGradient(x: Float64Array, dMean: Float64Array, dVariance: Float64Array): { mean: number; variance: number } {
    const n = this.n;
    const d = this.dims.length;
    const { k, v, g, x: xs } = this.scratch;
    const kernel = this.kernel;
    const S = this.S;
    const outputscale = this.hyperparameters.outputscale;
    kernel.scaleInto(x, xs, 0);
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const r = Math.sqrt(kernel.squaredDistance(xs, 0, S, i));
      const e = Math.exp(-SQRT5 * r);
      const ki = outputscale * matern52Shape(r, e);
      k[i] = ki;
      // ∂k_i/∂x_j = g_i·(xs_j − S_ij)/ℓ_j.
      g[i] = 2 * outputscale * matern52SlopeInSquaredDistance(r, e);
      mean += ki * this.alpha[i]!;
    }
    solveLower(this.L, n, k, v);
    let explained = 0;
    for (let i = 0; i < n; i++) explained += v[i]! * v[i]!;
    const rawVariance = outputscale - explained;
    const variance = Math.max(rawVariance, MIN_VARIANCE);
    // w = K⁻¹ k; ∂variance/∂x = −2 wᵀ ∂k/∂x.
    this.U ??= this.buildU();
    const w = solveUpper(this.U, n, v, v);
    const clamped = rawVariance < MIN_VARIANCE;
    for (let j = 0; j < d; j++) {
      if (kernel.isCategorical(j)) {
        dMean[j] = 0;
        dVariance[j] = 0;
        continue;
      }
      let sm = 0;
      let sv = 0;
      const xj = xs[j]!;
      for (let i = 0; i < n; i++) {
        const c = g[i]! * (xj - S[i * d + j]!);
        sm += c * this.alpha[i]!;
        sv += c * w[i]!;
      }
      const il = kernel.inverseLengthscale(j);
      dMean[j] = sm * il;
      dVariance[j] = clamped ? 0 : -2 * sv * il;
    }
    return { mean, variance };
  }

  /**
   * The posterior conditioned on X at these hyperparameters, built by appending
   * to this GP's factor in O(n²p) for the p points of X it lacks, instead of
   * factorising afresh in O(n³): for successive asks of a study, whose history
   * only grows while the hyperparameters are kept. This GP's points keep their
   * order and the new ones follow in their order in X (the posterior does not
   * depend on the order); yModel is permuted to match.
   * @param X - points; every point of this GP must be among them.
   * @param yModel - targets in model units, one per row of X.
   * @param transform - how raw values map to model units.
   * @returns undefined when some point of this GP is not in X.
   */
  conditionedOn(X: readonly Float64Array[], yModel: Float64Array, transform: OutputTransform): GaussianProcess | undefined {
    const n = this.n;
    if (X.length < n || yModel.length !== X.length) return undefined;
    const rowsOf = new Map<string, number[]>();
    for (let i = X.length - 1; i >= 0; i--) {
      const key = X[i]!.join(",");
      const rows = rowsOf.get(key);
      if (rows === undefined) rowsOf.set(key, [i]);
      else rows.push(i);
    }
    const order: number[] = [];
    const taken = new Uint8Array(X.length);
    for (let i = 0; i < n; i++) {
      const row = rowsOf.get(this.X[i]!.join(","))?.pop();
      if (row === undefined) return undefined;
      order.push(row);
      taken[row] = 1;
    }
    const added: Float64Array[] = [];
    for (let i = 0; i < X.length; i++) {
      if (taken[i]) continue;
      order.push(i);
      added.push(X[i]!);
    }
    const p = added.length;
    let L = this.L;
    if (p > 0) {
      const Sp = this.kernel.scale(added);
      const crossTransposed = this.kernel.cross(Sp, p, this.S, n); // p × n
      const kNew = new Float64Array(n * p);
      for (let a = 0; a < p; a++) for (let i = 0; i < n; i++) kNew[i * p + a] = crossTransposed[a * n + i]!;
      const kNewNew = this.kernel.matrix(Sp, p);
      for (let a = 0; a < p; a++) kNewNew[a * p + a]! += this.hyperparameters.noise + this.jitter;
      L = appendToCholesky(this.L, n, kNew, kNewNew);
    }
    return new GaussianProcess({
      X: order.map((i) => X[i]!),
      dims: this.dims,
      hyperparameters: this.hyperparameters,
      transform,
      yModel: Float64Array.from(order, (i) => yModel[i]!),
      L,
      jitter: this.jitter,
    });
  }

  /** Lᵀ by rows: the parent's rows lengthened by the new columns, or L transposed afresh. */
  private buildU(): Float64Array {
    const n = this.n;
    const parentU = this.parentU;
    this.parentU = undefined;
    if (parentU === undefined || this.parent === undefined) return transposeLower(this.L, n);
    const n0 = this.parent.n;
    const L = this.L;
    const U = new Float64Array(n * n);
    for (let i = 0; i < n0; i++) {
      U.set(parentU.subarray(i * n0 + i, i * n0 + n0), i * n + i);
      for (let j = n0; j < n; j++) U[i * n + j] = L[j * n + i]!;
    }
    for (let i = n0; i < n; i++) for (let j = i; j < n; j++) U[i * n + j] = L[j * n + i]!;
    return U;
  }

  /**
   * Kriging believer: the GP with the same hyperparameters conditioned, in
   * addition, on its own posterior means at Xp, by appending to the Cholesky
   * factor in O(n²p) rather than refactorising.
   * @param Xp - p × d fantasy points.
   * @param noise - observation-noise variance of the fantasies. A batch passes a
   *   small value: with the model's own noise the variance at a fantasy stays
   *   near σ_n² and the next point of the batch lands right beside it.
   *   @defaultValue the fitted noise σ_n²
   */
  fantasize(Xp: readonly Float64Array[], noise: number = this.hyperparameters.noise): GaussianProcess {
    const p = Xp.length;
    if (p === 0) return this;
    const n = this.n;
    const { mean } = this.predict(Xp);
    const Sp = this.kernel.scale(Xp);
    const crossTransposed = this.kernel.cross(Sp, p, this.S, n); // p × n
    const kNew = new Float64Array(n * p);
    for (let a = 0; a < p; a++) for (let i = 0; i < n; i++) kNew[i * p + a] = crossTransposed[a * n + i]!;
    const kNewNew = this.kernel.matrix(Sp, p);
    const diagonal = noise + this.jitter;
    for (let a = 0; a < p; a++) kNewNew[a * p + a]! += diagonal;
    const yModel = new Float64Array(n + p);
    yModel.set(this.yModel);
    yModel.set(mean, n);
    return new GaussianProcess({
      X: [...this.X, ...Xp],
      dims: this.dims,
      hyperparameters: this.hyperparameters,
      transform: this.transform,
      yModel,
      L: appendToCholesky(this.L, n, kNew, kNewNew),
      jitter: this.jitter,
      parent: this,
    });
  }
}

/**
 * The GP posterior at given hyperparameters (no fitting).
 * @param X - n × d points in the unit cube.
 * @param yModel - n targets already in model units.
 * @param transform - how raw values map to model units.
 * @throws NumericalError when K + σ_n² I is not positive definite even with jitter.
 */
export function conditionGP(
  X: readonly Float64Array[],
  yModel: Float64Array,
  dims: readonly EncodedDim[],
  hyperparameters: GPHyperparameters,
  transform: OutputTransform,
): GaussianProcess {
  const n = X.length;
  const d = dims.length;
  if (n < 1 || yModel.length !== n) {
    throw new InvalidArgumentError(`X and yModel must hold the same number ≥ 1 of points, got ${n} and ${yModel.length}`);
  }
  if (hyperparameters.lengthscales.length !== d) {
    throw new InvalidArgumentError(
      `lengthscales must hold one value per dimension (${d}), got ${hyperparameters.lengthscales.length}`,
    );
  }
  const kernel = new Matern52Kernel(dims, hyperparameters);
  const K = kernel.matrix(kernel.scale(X), n);
  for (let i = 0; i < n; i++) K[i * n + i]! += hyperparameters.noise;
  const { L, jitter } = choleskyWithJitter(K, n);
  return new GaussianProcess({ X: X.slice(), dims, hyperparameters, transform, yModel, L, jitter });
}
