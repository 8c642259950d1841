import type { EncodedDim } from "../space/encoded-dim.js";
import { categoryIndex } from "../space/encoded-dim.js";

/** The kernel's share of the GP hyperparameters (noise lives in the GP). */
export interface KernelHyperparameters {
  /** d: one per encoded dimension, in unit-cube units (categorical: per Hamming unit). */
  readonly lengthscales: Float64Array;
  /** σ²: prior variance of the latent function. */
  readonly outputscale: number;
}

const SQRT5 = Math.sqrt(5);

/**
 * Matérn-5/2 shape at scaled distance r, given e = exp(−√5 r) (callers already
 * hold it): (1 + √5 r + 5r²/3)·e, so k = σ²·shape.
 */
export function matern52Shape(r: number, e: number): number {
  return (1 + SQRT5 * r + (5 / 3) * r * r) * e;
}

/**
 * d(shape)/d(r²) = −(5/6)(1 + √5 r)·e. Taken with respect to r², not r, so that
 * derivatives through r² = Σ_j s_j never divide by r: finite at r = 0, where
 * Matérn-5/2 is twice differentiable.
 */
export function matern52SlopeInSquaredDistance(r: number, e: number): number {
  return -(5 / 6) * (1 + SQRT5 * r) * e;
}

/**
 * Matérn-5/2 with ARD lengthscales on the unit cube:
 *   r² = Σ_{non-categorical j} ((u_j − u'_j)/ℓ_j)² + Σ_{categorical j} [c_j ≠ c'_j]/ℓ_j²,
 *   k = σ²·(1 + √5 r + 5r²/3)·exp(−√5 r).
 * Categorical coordinates enter only through whether their level indices differ
 * (a Hamming term), so category codes are never treated as ordered.
 *
 * Points are first "scaled" once: non-categorical coordinates become u_j/ℓ_j,
 * categorical ones their level index; pairwise work then needs no division.
 */
export class Matern52Kernel {
  readonly d: number;
  readonly outputscale: number;
  private readonly categorical: Uint8Array;
  private readonly levels: Float64Array;
  private readonly inverseLengthscales: Float64Array;
  /** 1/ℓ_j², the Hamming weight of categorical dim j (and input-gradient scale of the others). */
  private readonly inverseSquaredLengthscales: Float64Array;

  /**
   * @param dims - d encoded dimensions.
   * @param hyperparameters - lengthscales (d) and outputscale.
   */
  constructor(dims: readonly EncodedDim[], hyperparameters: KernelHyperparameters) {
    const d = dims.length;
    this.d = d;
    this.outputscale = hyperparameters.outputscale;
    this.categorical = new Uint8Array(d);
    this.levels = new Float64Array(d);
    this.inverseLengthscales = new Float64Array(d);
    this.inverseSquaredLengthscales = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const dim = dims[j]!;
      const l = hyperparameters.lengthscales[j]!;
      this.categorical[j] = dim.kind === "categorical" ? 1 : 0;
      this.levels[j] = dim.levels;
      this.inverseLengthscales[j] = 1 / l;
      this.inverseSquaredLengthscales[j] = 1 / (l * l);
    }
  }

  /**
   * Writes the scaled form of x (d) into out at offset.
   * @param x - d, a point of the unit cube.
   */
  scaleInto(x: Float64Array, out: Float64Array, offset: number): void {
    for (let j = 0; j < this.d; j++) {
      out[offset + j] = this.categorical[j]
        ? categoryIndex(x[j]!, this.levels[j]!)
        : x[j]! * this.inverseLengthscales[j]!;
    }
  }

  /**
   * @param X - n × d points.
   * @returns n × d scaled points, row-major.
   */
  scale(X: readonly Float64Array[]): Float64Array {
    const d = this.d;
    const S = new Float64Array(X.length * d);
    for (let i = 0; i < X.length; i++) this.scaleInto(X[i]!, S, i * d);
    return S;
  }

  /** r² between scaled points A[a·d ..] and B[b·d ..]. */
  squaredDistance(A: Float64Array, a: number, B: Float64Array, b: number): number {
    const d = this.d;
    const oa = a * d;
    const ob = b * d;
    let r2 = 0;
    for (let j = 0; j < d; j++) {
      const diff = A[oa + j]! - B[ob + j]!;
      if (this.categorical[j]) {
        if (diff !== 0) r2 += this.inverseSquaredLengthscales[j]!;
      } else {
        r2 += diff * diff;
      }
    }
    return r2;
  }

  /** k from r². */
  fromSquaredDistance(r2: number): number {
    const r = Math.sqrt(r2);
    return this.outputscale * matern52Shape(r, Math.exp(-SQRT5 * r));
  }

  /** k(x, x') for two unscaled points (d each). */
  value(x: Float64Array, xPrime: Float64Array): number {
    const a = new Float64Array(this.d);
    const b = new Float64Array(this.d);
    this.scaleInto(x, a, 0);
    this.scaleInto(xPrime, b, 0);
    return this.fromSquaredDistance(this.squaredDistance(a, 0, b, 0));
  }

  /**
   * Covariance matrix of scaled points, exactly symmetric (the lower triangle is
   * computed and mirrored), σ² on the diagonal, no noise.
   * @param S - n × d scaled points.
   * @returns n × n, row-major.
   */
  matrix(S: Float64Array, n: number): Float64Array {
    const K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      K[i * n + i] = this.outputscale;
      for (let j = 0; j < i; j++) {
        const v = this.fromSquaredDistance(this.squaredDistance(S, i, S, j));
        K[i * n + j] = v;
        K[j * n + i] = v;
      }
    }
    return K;
  }

  /**
   * Cross-covariances between two sets of scaled points.
   * @param Ss - m × d scaled points.
   * @param S - n × d scaled points.
   * @param out - m × n, row-major; receives k(Ss_r, S_i) at r·n + i.
   */
  cross(Ss: Float64Array, m: number, S: Float64Array, n: number, out: Float64Array = new Float64Array(m * n)): Float64Array {
    for (let r = 0; r < m; r++) {
      const o = r * n;
      for (let i = 0; i < n; i++) out[o + i] = this.fromSquaredDistance(this.squaredDistance(Ss, r, S, i));
    }
    return out;
  }

  /**
   * Derivatives of k(x, x') with respect to the log-hyperparameters.
   * @param x - d.
   * @param xPrime - d.
   * @param out - d + 1: ∂k/∂log ℓ_j at j < d, then ∂k/∂log σ².
   */
  hyperparameterGradient(x: Float64Array, xPrime: Float64Array, out: Float64Array): Float64Array {
    const d = this.d;
    const a = new Float64Array(d);
    const b = new Float64Array(d);
    this.scaleInto(x, a, 0);
    this.scaleInto(xPrime, b, 0);
    const r2 = this.squaredDistance(a, 0, b, 0);
    const r = Math.sqrt(r2);
    const e = Math.exp(-SQRT5 * r);
    // ∂r²/∂log ℓ_j = −2 s_j, with s_j dim j's share of r².
    const scale = -2 * this.outputscale * matern52SlopeInSquaredDistance(r, e);
    for (let j = 0; j < d; j++) {
      const diff = a[j]! - b[j]!;
      const s = this.categorical[j] ? (diff !== 0 ? this.inverseSquaredLengthscales[j]! : 0) : diff * diff;
      out[j] = scale * s;
    }
    out[d] = this.outputscale * matern52Shape(r, e);
    return out;
  }

  /**
   * ∂k(x, x')/∂x; 0 on categorical dims, whose coordinate is piecewise constant.
   * @param x - d, the point differentiated.
   * @param xPrime - d.
   * @param out - d.
   */
  inputGradient(x: Float64Array, xPrime: Float64Array, out: Float64Array): Float64Array {
    const d = this.d;
    const a = new Float64Array(d);
    const b = new Float64Array(d);
    this.scaleInto(x, a, 0);
    this.scaleInto(xPrime, b, 0);
    const r = Math.sqrt(this.squaredDistance(a, 0, b, 0));
    const g = 2 * this.outputscale * matern52SlopeInSquaredDistance(r, Math.exp(-SQRT5 * r));
    for (let j = 0; j < d; j++) {
      out[j] = this.categorical[j] ? 0 : g * (a[j]! - b[j]!) * this.inverseLengthscales[j]!;
    }
    return out;
  }

  /** 1/ℓ_j (d); the GP's gradient loops use it on scaled differences. */
  inverseLengthscale(j: number): number {
    return this.inverseLengthscales[j]!;
  }

  isCategorical(j: number): boolean {
    return this.categorical[j] === 1;
  }
}
