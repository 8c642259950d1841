/**
 * Forward and back substitution with a lower Cholesky factor L (n × n, row-major).
 * Loops walk rows of L, never columns, so memory access stays contiguous. With
 * many right-hand sides, each one is a row of B (m × n), and four are solved
 * together so that each load of L feeds four multiply-adds. The `out` arguments
 * let hot callers reuse buffers; `out` may be `b` / `B` itself.
 */

/**
 * Solves L x = b.
 * @param L - n × n lower triangular.
 * @param b - n.
 * @param out - n; receives x.
 */
export function solveLower(L: Float64Array, n: number, b: Float64Array, out: Float64Array = new Float64Array(n)): Float64Array {
  forwardRow(L, n, b, 0, out, 0);
  return out;
}

/**
 * Solves Lᵀ x = b. Column-oriented so that it reads rows of L: once x_i is known,
 * row i of L updates every earlier right-hand-side entry.
 * @param L - n × n lower triangular.
 * @param b - n.
 * @param out - n; receives x.
 */
export function solveLowerTransposed(
  L: Float64Array,
  n: number,
  b: Float64Array,
  out: Float64Array = new Float64Array(n),
): Float64Array {
  if (out !== b) out.set(b.subarray(0, n));
  backwardRow(L, n, out, 0);
  return out;
}

/**
 * Solves U x = b for an upper triangular U. With U = Lᵀ stored by rows (see
 * {@link transposeLower}) this is the back substitution Lᵀ x = b as inner
 * products of contiguous rows, faster than {@link solveLowerTransposed} for
 * callers that solve many times with the same factor.
 * @param U - n × n upper triangular, row-major.
 * @param b - n.
 * @param out - n; receives x.
 */
export function solveUpper(U: Float64Array, n: number, b: Float64Array, out: Float64Array = new Float64Array(n)): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let k = i + 1;
    for (; k + 3 < n; k += 4) {
      s0 += U[ri + k]! * out[k]!;
      s1 += U[ri + k + 1]! * out[k + 1]!;
      s2 += U[ri + k + 2]! * out[k + 2]!;
      s3 += U[ri + k + 3]! * out[k + 3]!;
    }
    for (; k < n; k++) s0 += U[ri + k]! * out[k]!;
    out[i] = (b[i]! - (s0 + s1 + (s2 + s3))) / U[ri + i]!;
  }
  return out;
}

/**
 * Lᵀ stored by rows.
 * @param L - n × n lower triangular, row-major.
 * @returns n × n upper triangular, row-major.
 */
export function transposeLower(L: Float64Array, n: number): Float64Array {
  const U = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) U[j * n + i] = L[i * n + j]!;
  return U;
}

/**
 * Solves L xᵣ = bᵣ for each of m right-hand sides.
 * @param L - n × n lower triangular.
 * @param B - m × n, row-major: one right-hand side per row.
 * @param out - m × n; receives the solutions, one per row.
 */
export function solveLowerMany(
  L: Float64Array,
  n: number,
  B: Float64Array,
  m: number,
  out: Float64Array = new Float64Array(m * n),
): Float64Array {
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const o0 = r * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    // Rows i and i + 1 of L together: six loads feed eight multiply-adds.
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const ri = i * n;
      const rj = ri + n;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      for (let k = 0; k < i; k++) {
        const li = L[ri + k]!;
        const lj = L[rj + k]!;
        const x0 = out[o0 + k]!;
        const x1 = out[o1 + k]!;
        const x2 = out[o2 + k]!;
        const x3 = out[o3 + k]!;
        a0 += li * x0;
        a1 += li * x1;
        a2 += li * x2;
        a3 += li * x3;
        b0 += lj * x0;
        b1 += lj * x1;
        b2 += lj * x2;
        b3 += lj * x3;
      }
      const inverseI = 1 / L[ri + i]!;
      const y0 = (B[o0 + i]! - a0) * inverseI;
      const y1 = (B[o1 + i]! - a1) * inverseI;
      const y2 = (B[o2 + i]! - a2) * inverseI;
      const y3 = (B[o3 + i]! - a3) * inverseI;
      out[o0 + i] = y0;
      out[o1 + i] = y1;
      out[o2 + i] = y2;
      out[o3 + i] = y3;
      const lji = L[rj + i]!;
      const inverseJ = 1 / L[rj + i + 1]!;
      out[o0 + i + 1] = (B[o0 + i + 1]! - b0 - lji * y0) * inverseJ;
      out[o1 + i + 1] = (B[o1 + i + 1]! - b1 - lji * y1) * inverseJ;
      out[o2 + i + 1] = (B[o2 + i + 1]! - b2 - lji * y2) * inverseJ;
      out[o3 + i + 1] = (B[o3 + i + 1]! - b3 - lji * y3) * inverseJ;
    }
    if (i < n) {
      const ri = i * n;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let k = 0; k < i; k++) {
        const li = L[ri + k]!;
        a0 += li * out[o0 + k]!;
        a1 += li * out[o1 + k]!;
        a2 += li * out[o2 + k]!;
        a3 += li * out[o3 + k]!;
      }
      const inverseI = 1 / L[ri + i]!;
      out[o0 + i] = (B[o0 + i]! - a0) * inverseI;
      out[o1 + i] = (B[o1 + i]! - a1) * inverseI;
      out[o2 + i] = (B[o2 + i]! - a2) * inverseI;
      out[o3 + i] = (B[o3 + i]! - a3) * inverseI;
    }
  }
  for (; r < m; r++) forwardRow(L, n, B, r * n, out, r * n);
  return out;
}

/**
 * Solves Lᵀ xᵣ = bᵣ for each of m right-hand sides.
 * @param L - n × n lower triangular.
 * @param B - m × n, row-major: one right-hand side per row.
 * @param out - m × n; receives the solutions, one per row.
 */
export function solveLowerTransposedMany(
  L: Float64Array,
  n: number,
  B: Float64Array,
  m: number,
  out: Float64Array = new Float64Array(m * n),
): Float64Array {
  if (out !== B) out.set(B.subarray(0, m * n));
  for (let r = 0; r < m; r++) backwardRow(L, n, out, r * n);
  return out;
}

/** L x = b with b read at bOffset and x written at xOffset (may coincide). */
function forwardRow(
  L: Float64Array,
  n: number,
  b: Float64Array,
  bOffset: number,
  x: Float64Array,
  xOffset: number,
): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let k = 0;
    for (; k + 3 < i; k += 4) {
      s0 += L[ri + k]! * x[xOffset + k]!;
      s1 += L[ri + k + 1]! * x[xOffset + k + 1]!;
      s2 += L[ri + k + 2]! * x[xOffset + k + 2]!;
      s3 += L[ri + k + 3]! * x[xOffset + k + 3]!;
    }
    for (; k < i; k++) s0 += L[ri + k]! * x[xOffset + k]!;
    x[xOffset + i] = (b[bOffset + i]! - (s0 + s1 + (s2 + s3))) / L[ri + i]!;
  }
}

/** Lᵀ x = b in place on x[offset .. offset + n). */
function backwardRow(L: Float64Array, n: number, x: Float64Array, offset: number): void {
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    const xi = x[offset + i]! / L[ri + i]!;
    x[offset + i] = xi;
    for (let k = 0; k < i; k++) x[offset + k]! -= L[ri + k]! * xi;
  }
}
