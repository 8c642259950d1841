/**
 * K⁻¹ = L⁻ᵀ L⁻¹ from the lower Cholesky factor of K. Only for the trace term of
 * the marginal-likelihood gradient, which needs every entry of K⁻¹; posterior
 * quantities are always computed by substitution instead.
 *
 * Works on U = (L⁻¹)ᵀ, upper triangular and stored by rows, so that both stages
 * are inner products of contiguous rows: row j of U solves L x = e_j, and
 * (K⁻¹)_ab = Σ_k U_ak U_bk (U's zeros below the diagonal bound the sum). Rows are
 * taken two at a time so that each load feeds two or four multiply-adds.
 *
 * @param L - n × n lower triangular, row-major.
 * @returns K⁻¹, n × n, row-major, exactly symmetric.
 */
export function choleskyInverse(L: Float64Array, n: number): Float64Array {
  const U = new Float64Array(n * n);
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const u0 = j * n;
    const u1 = u0 + n;
    const d0 = 1 / L[u0 + j]!;
    const d1 = 1 / L[u1 + j + 1]!;
    U[u0 + j] = d0;
    U[u1 + j + 1] = d1;
    U[u0 + j + 1] = -L[u1 + j]! * d0 * d1;
    for (let i = j + 2; i < n; i++) {
      const ri = i * n;
      let s0 = 0;
      let s1 = 0;
      for (let k = j; k < i; k++) {
        const a = L[ri + k]!;
        s0 += a * U[u0 + k]!;
        s1 += a * U[u1 + k]!;
      }
      const inv = 1 / L[ri + i]!;
      U[u0 + i] = -s0 * inv;
      U[u1 + i] = -s1 * inv;
    }
  }
  if (j < n) U[j * n + j] = 1 / L[j * n + j]!;

  const Kinv = new Float64Array(n * n);
  for (let a = 0; a < n; a += 2) {
    const pairA = a + 1 < n;
    const ua0 = a * n;
    const ua1 = pairA ? ua0 + n : ua0;
    for (let b = a; b < n; b += 2) {
      const pairB = b + 1 < n;
      const ub0 = b * n;
      const ub1 = pairB ? ub0 + n : ub0;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let k = b; k < n; k++) {
        const x0 = U[ua0 + k]!;
        const x1 = U[ua1 + k]!;
        const y0 = U[ub0 + k]!;
        const y1 = U[ub1 + k]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      Kinv[ua0 + b] = s00;
      Kinv[ub0 + a] = s00;
      if (pairB) {
        Kinv[ua0 + b + 1] = s01;
        Kinv[ub1 + a] = s01;
      }
      if (pairA) {
        Kinv[ua1 + b] = s10;
        Kinv[ub0 + a + 1] = s10;
        if (pairB) {
          Kinv[ua1 + b + 1] = s11;
          Kinv[ub1 + a + 1] = s11;
        }
      }
    }
  }
  return Kinv;
}
