import { NumericalError } from "../errors.js";

/**
 * Lower Cholesky factor L of a symmetric positive-definite matrix, A = L Lᵀ.
 * Only the lower triangle of A is read. Row-oriented (Cholesky–Banachiewicz),
 * so every inner product runs over contiguous rows of L; rows and columns are
 * taken two at a time, so each load of L feeds two multiply-adds. This is the
 * hot path of the GP fit.
 *
 * @param A - n × n, row-major.
 * @param n - order of A.
 * @param diagonalShift - added to every diagonal entry of A on the fly (jitter),
 *   so a retry never needs a copy of A.
 * @returns L (n × n, row-major, zeros above the diagonal), or undefined when a
 *   pivot is not positive and finite (A is not numerically positive definite).
 */
export function cholesky(A: Float64Array, n: number, diagonalShift = 0): Float64Array | undefined {
  const L = new Float64Array(n * n);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const r0 = i * n;
    const r1 = r0 + n;
    let j = 0;
    for (; j + 1 < i; j += 2) {
      const q0 = j * n;
      const q1 = q0 + n;
      let a00 = 0;
      let a01 = 0;
      let a10 = 0;
      let a11 = 0;
      for (let k = 0; k < j; k++) {
        const x0 = L[r0 + k]!;
        const x1 = L[r1 + k]!;
        const y0 = L[q0 + k]!;
        const y1 = L[q1 + k]!;
        a00 += x0 * y0;
        a01 += x0 * y1;
        a10 += x1 * y0;
        a11 += x1 * y1;
      }
      const djj = L[q0 + j]!;
      const l0j = (A[r0 + j]! - a00) / djj;
      const l1j = (A[r1 + j]! - a10) / djj;
      L[r0 + j] = l0j;
      L[r1 + j] = l1j;
      const y1j = L[q1 + j]!;
      const dj1 = L[q1 + j + 1]!;
      L[r0 + j + 1] = (A[r0 + j + 1]! - a01 - l0j * y1j) / dj1;
      L[r1 + j + 1] = (A[r1 + j + 1]! - a11 - l1j * y1j) / dj1;
    }
    if (j < i) {
      const q0 = j * n;
      let a0 = 0;
      let a1 = 0;
      for (let k = 0; k < j; k++) {
        const y0 = L[q0 + k]!;
        a0 += L[r0 + k]! * y0;
        a1 += L[r1 + k]! * y0;
      }
      const djj = L[q0 + j]!;
      L[r0 + j] = (A[r0 + j]! - a0) / djj;
      L[r1 + j] = (A[r1 + j]! - a1) / djj;
    }
    let s00 = 0;
    let s10 = 0;
    let s11 = 0;
    for (let k = 0; k < i; k++) {
      const x0 = L[r0 + k]!;
      const x1 = L[r1 + k]!;
      s00 += x0 * x0;
      s10 += x1 * x0;
      s11 += x1 * x1;
    }
    const p0 = A[r0 + i]! + diagonalShift - s00;
    // `!(p > 0)` also rejects NaN.
    if (!(p0 > 0) || p0 === Infinity) return undefined;
    const d0 = Math.sqrt(p0);
    L[r0 + i] = d0;
    const l10 = (A[r1 + i]! - s10) / d0;
    L[r1 + i] = l10;
    const p1 = A[r1 + i + 1]! + diagonalShift - s11 - l10 * l10;
    if (!(p1 > 0) || p1 === Infinity) return undefined;
    L[r1 + i + 1] = Math.sqrt(p1);
  }
  if (i < n) {
    const r0 = i * n;
    for (let j = 0; j < i; j++) {
      const q0 = j * n;
      let a = 0;
      for (let k = 0; k < j; k++) a += L[r0 + k]! * L[q0 + k]!;
      L[r0 + j] = (A[r0 + j]! - a) / L[q0 + j]!;
    }
    let s = 0;
    for (let k = 0; k < i; k++) s += L[r0 + k]! * L[r0 + k]!;
    const p = A[r0 + i]! + diagonalShift - s;
    if (!(p > 0) || p === Infinity) return undefined;
    L[r0 + i] = Math.sqrt(p);
  }
  return L;
}

/** Result of {@link choleskyWithJitter}. */
export interface JitteredCholesky {
  /** n × n lower factor of A + jitter·I. */
  readonly L: Float64Array;
  /** What was added to the diagonal; 0 when A factorised as it is. */
  readonly jitter: number;
}

const FIRST_RELATIVE_JITTER = 1e-8;
const LAST_RELATIVE_JITTER = 1e-2;

/**
 * Cholesky factor of A, adding jitter to the diagonal when A is not numerically
 * positive definite (duplicate points, a tiny noise): 1e-8·mean(diag A), then ten
 * times more per retry, up to 1e-2·mean(diag A). Relative to the diagonal so the
 * escalation means the same thing whatever the outputscale.
 *
 * @param A - n × n symmetric, row-major; only its lower triangle is read.
 * @throws NumericalError when even the largest jitter fails.
 */
export function choleskyWithJitter(A: Float64Array, n: number): JitteredCholesky {
  const plain = cholesky(A, n);
  if (plain !== undefined) return { L: plain, jitter: 0 };
  let meanDiagonal = 0;
  for (let i = 0; i < n; i++) meanDiagonal += A[i * n + i]!;
  meanDiagonal /= n;
  if (!(meanDiagonal > 0) || !Number.isFinite(meanDiagonal)) {
    throw new NumericalError(
      `the mean diagonal of a matrix to factorise must be positive and finite, got ${meanDiagonal}`,
    );
  }
  let jitter = FIRST_RELATIVE_JITTER * meanDiagonal;
  const largest = LAST_RELATIVE_JITTER * meanDiagonal * (1 + 1e-9);
  let lastTried = jitter;
  for (; jitter <= largest; jitter *= 10) {
    lastTried = jitter;
    const L = cholesky(A, n, jitter);
    if (L !== undefined) return { L, jitter };
  }
  throw new NumericalError(
    `matrix (${n} × ${n}) is not positive definite even with jitter ${lastTried.toExponential(3)} ` +
      `on the diagonal; check for non-finite entries or points given twice`,
  );
}
