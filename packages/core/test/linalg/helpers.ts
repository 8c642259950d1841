import { Matrix } from "ml-matrix";
import { Rng } from "../../src/rng.js";

/** A random symmetric positive-definite n × n matrix B Bᵀ + 0.1·I, row-major. */
export function randomSpd(n: number, rng: Rng): Float64Array {
  const B = Array.from({ length: n * n }, () => rng.normal());
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += B[i * n + k]! * B[j * n + k]!;
      A[i * n + j] = s;
      A[j * n + i] = s;
    }
    A[i * n + i]! += 0.1;
  }
  return A;
}

export function toMatrix(A: Float64Array, rows: number, cols: number): Matrix {
  const M = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) M.set(i, j, A[i * cols + j]!);
  return M;
}

/** Largest |a − b| relative to the largest |b|. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let error = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    error = Math.max(error, Math.abs(a[i]! - b[i]!));
  }
  return error / Math.max(scale, Number.MIN_VALUE);
}
