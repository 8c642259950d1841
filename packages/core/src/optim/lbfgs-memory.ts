/**
 * The correction pairs (s, y) of limited-memory BFGS and the two-loop recursion
 * that applies the implied inverse-Hessian approximation to a vector, restricted
 * to a subset of the coordinates (the free variables of a bounded problem).
 *
 * Restricting each pair to the free coordinates, rather than applying the full
 * approximation and masking the result, makes the recursion approximate the
 * inverse of the *reduced* Hessian: once the active set settles, the steps have
 * zeros on the fixed coordinates and y restricted to the free ones is exactly
 * the reduced Hessian times s, so the secant information stays exact.
 */
export class LbfgsMemory {
  private readonly s: Float64Array[];
  private readonly y: Float64Array[];
  private readonly rho: Float64Array;
  private readonly alpha: Float64Array;
  private readonly usable: Uint8Array;
  /** Slot of the oldest stored pair; pairs live in a ring of `capacity` slots. */
  private start = 0;
  private count = 0;

  /**
   * @param n - number of variables.
   * @param capacity - how many pairs are kept; the oldest is dropped first.
   */
  constructor(
    n: number,
    private readonly capacity: number,
  ) {
    this.s = Array.from({ length: capacity }, () => new Float64Array(n));
    this.y = Array.from({ length: capacity }, () => new Float64Array(n));
    this.rho = new Float64Array(capacity);
    this.alpha = new Float64Array(capacity);
    this.usable = new Uint8Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
  }

  /**
   * Stores s = xNew − xOld and y = gNew − gOld when s·y > ε‖y‖², the curvature
   * condition that keeps the approximation positive definite; otherwise the
   * memory is left unchanged.
   *
   * @param xNew - length n. @param xOld - length n. @param gNew - length n. @param gOld - length n.
   * @returns whether the pair was stored.
   */
  push(xNew: Float64Array, xOld: Float64Array, gNew: Float64Array, gOld: Float64Array): boolean {
    const slot = (this.start + this.count) % this.capacity;
    const s = this.s[slot] as Float64Array;
    const y = this.y[slot] as Float64Array;
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < s.length; i++) {
      const si = (xNew[i] as number) - (xOld[i] as number);
      const yi = (gNew[i] as number) - (gOld[i] as number);
      s[i] = si;
      y[i] = yi;
      sy += si * yi;
      yy += yi * yi;
    }
    if (!(sy > Number.EPSILON * yy) || !Number.isFinite(sy)) return false;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
    return true;
  }

  /**
   * Writes out[free[k]] = −(H g)[free[k]] for k < freeCount, where H is the L-BFGS
   * inverse-Hessian approximation built from the pairs restricted to the free
   * coordinates, started from γI with γ = s·y / y·y of the newest usable pair.
   * A pair whose restricted curvature s·y is not positive is skipped, so the
   * result is always a descent direction on the free coordinates.
   * Other entries of `out` are left untouched.
   *
   * @param g - gradient, length n.
   * @param free - indices of the free coordinates; only the first freeCount are read.
   * @param out - length n.
   * @returns γ, or 0 when no stored pair is usable (out then holds −g on the free coordinates).
   */
  descentDirection(g: Float64Array, free: Int32Array, freeCount: number, out: Float64Array): number {
    for (let k = 0; k < freeCount; k++) {
      const i = free[k] as number;
      out[i] = g[i] as number;
    }
    let gamma = 0;
    for (let j = this.count - 1; j >= 0; j--) {
      const slot = (this.start + j) % this.capacity;
      const s = this.s[slot] as Float64Array;
      const y = this.y[slot] as Float64Array;
      let sy = 0;
      let yy = 0;
      let sq = 0;
      for (let k = 0; k < freeCount; k++) {
        const i = free[k] as number;
        const si = s[i] as number;
        const yi = y[i] as number;
        sy += si * yi;
        yy += yi * yi;
        sq += si * (out[i] as number);
      }
      if (!(sy > Number.EPSILON * yy)) {
        this.usable[slot] = 0;
        continue;
      }
      this.usable[slot] = 1;
      if (gamma === 0) gamma = sy / yy;
      const rho = 1 / sy;
      const a = rho * sq;
      this.rho[slot] = rho;
      this.alpha[slot] = a;
      for (let k = 0; k < freeCount; k++) {
        const i = free[k] as number;
        out[i] = (out[i] as number) - a * (y[i] as number);
      }
    }
    const scale = gamma === 0 ? 1 : gamma;
    for (let k = 0; k < freeCount; k++) {
      const i = free[k] as number;
      out[i] = scale * (out[i] as number);
    }
    for (let j = 0; j < this.count; j++) {
      const slot = (this.start + j) % this.capacity;
      if (this.usable[slot] === 0) continue;
      const s = this.s[slot] as Float64Array;
      const y = this.y[slot] as Float64Array;
      let yr = 0;
      for (let k = 0; k < freeCount; k++) {
        const i = free[k] as number;
        yr += (y[i] as number) * (out[i] as number);
      }
      const c = (this.alpha[slot] as number) - (this.rho[slot] as number) * yr;
      for (let k = 0; k < freeCount; k++) {
        const i = free[k] as number;
        out[i] = (out[i] as number) + c * (s[i] as number);
      }
    }
    for (let k = 0; k < freeCount; k++) {
      const i = free[k] as number;
      out[i] = -(out[i] as number);
    }
    return gamma;
  }
}
