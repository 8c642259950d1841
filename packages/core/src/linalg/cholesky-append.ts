import { InvalidArgumentError } from "../errors.js";
import { choleskyWithJitter } from "./cholesky.js";
import { solveLowerMany } from "./triangular-solve.js";

/**
 * Extends the Cholesky factor of K (n × n) to that of
 *   [ K      kNew    ]
 *   [ kNewᵀ  kNewNew ]
 * in O(n²p): the new rows are (L⁻¹ kNew)ᵀ and the factor of the Schur complement
 * kNewNew − (L⁻¹ kNew)ᵀ (L⁻¹ kNew). The Schur complement gets jitter like any
 * other factorisation, since fantasy points may sit on top of observed ones.
 *
 * @param L - n × n lower factor, row-major.
 * @param kNew - n × p cross-covariances between old and new points, row-major.
 * @param kNewNew - p × p covariance of the new points (noise included), row-major;
 *   p is read from its length.
 * @returns the (n + p) × (n + p) lower factor, row-major.
 * @throws NumericalError when the Schur complement is not positive definite even with jitter.
 */
export function appendToCholesky(
  L: Float64Array,
  n: number,
  kNew: Float64Array,
  kNewNew: Float64Array,
): Float64Array {
  const p = Math.round(Math.sqrt(kNewNew.length));
  if (p * p !== kNewNew.length || kNew.length !== n * p) {
    throw new InvalidArgumentError(
      `kNewNew must be p × p and kNew n × p, got lengths ${kNewNew.length} and ${kNew.length} with n = ${n}`,
    );
  }
  const N = n + p;
  const kNewT = new Float64Array(p * n);
  for (let i = 0; i < n; i++) for (let a = 0; a < p; a++) kNewT[a * n + i] = kNew[i * p + a]!;
  const V = solveLowerMany(L, n, kNewT, p, kNewT); // p × n: the new block row of the factor
  const schur = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += V[a * n + i]! * V[b * n + i]!;
      const value = kNewNew[a * p + b]! - s;
      schur[a * p + b] = value;
      schur[b * p + a] = value;
    }
  }
  const { L: L22 } = choleskyWithJitter(schur, p);
  const out = new Float64Array(N * N);
  for (let i = 0; i < n; i++) out.set(L.subarray(i * n, i * n + i + 1), i * N);
  for (let a = 0; a < p; a++) {
    const row = (n + a) * N;
    out.set(V.subarray(a * n, a * n + n), row);
    for (let b = 0; b <= a; b++) out[row + n + b] = L22[a * p + b]!;
  }
  return out;
}
