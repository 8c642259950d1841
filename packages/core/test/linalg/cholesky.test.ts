import { CholeskyDecomposition } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { NumericalError } from "../../src/errors.js";
import { cholesky, choleskyWithJitter } from "../../src/linalg/cholesky.js";
import { Rng } from "../../src/rng.js";
import { randomSpd, relativeError, toMatrix } from "./helpers.js";

describe("cholesky", () => {
  it.each([1, 2, 3, 4, 5, 7, 20, 33])("matches ml-matrix on a random SPD matrix of order %i", (n) => {
    const A = randomSpd(n, new Rng(n));
    const L = cholesky(A, n)!;
    const reference = new CholeskyDecomposition(toMatrix(A, n, n)).lowerTriangularMatrix.to1DArray();
    expect(relativeError(L, reference)).toBeLessThan(1e-12);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(L[i * n + j]).toBe(0);
  });

  it("reproduces A as L Lᵀ", () => {
    const n = 17;
    const A = randomSpd(n, new Rng(99));
    const L = cholesky(A, n)!;
    const product = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += L[i * n + k]! * L[j * n + k]!;
        product[i * n + j] = s;
      }
    }
    expect(relativeError(product, A)).toBeLessThan(1e-13);
  });

  it("returns undefined for a matrix that is not positive definite", () => {
    // Eigenvalues 3 and −1.
    expect(cholesky(Float64Array.of(1, 2, 2, 1), 2)).toBeUndefined();
    expect(cholesky(Float64Array.of(1, 0, 0, Number.NaN), 2)).toBeUndefined();
  });

  it("applies the diagonal shift", () => {
    const A = Float64Array.of(4, 2, 2, 3);
    const shifted = cholesky(A, 2, 1)!;
    const reference = cholesky(Float64Array.of(5, 2, 2, 4), 2)!;
    expect(Array.from(shifted)).toEqual(Array.from(reference));
  });
});

describe("choleskyWithJitter", () => {
  it("adds no jitter to a positive-definite matrix", () => {
    const A = randomSpd(6, new Rng(1));
    const { L, jitter } = choleskyWithJitter(A, 6);
    expect(jitter).toBe(0);
    expect(Array.from(L)).toEqual(Array.from(cholesky(A, 6)!));
  });

  it("escalates jitter on a singular matrix with duplicate rows", () => {
    // Gram matrix of 4 points in 2-D (rank ≤ 2, so singular); points 0 and 2 coincide.
    const points = [
      [1, 0],
      [0.3, 0.7],
      [1, 0],
      [0.5, 0.5],
    ];
    const n = 4;
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) A[i * n + j] = points[i]![0]! * points[j]![0]! + points[i]![1]! * points[j]![1]!;
    }
    expect(cholesky(A, n)).toBeUndefined();
    let meanDiagonal = 0;
    for (let i = 0; i < n; i++) meanDiagonal += A[i * n + i]! / n;
    const { L, jitter } = choleskyWithJitter(A, n);
    expect(jitter).toBeGreaterThanOrEqual(1e-8 * meanDiagonal * (1 - 1e-12));
    expect(jitter).toBeLessThanOrEqual(1e-2 * meanDiagonal * (1 + 1e-12));
    // jitter is one of the ladder's rungs 1e-8·10^k·mean(diag).
    const rung = Math.log10(jitter / (1e-8 * meanDiagonal));
    expect(Math.abs(rung - Math.round(rung))).toBeLessThan(1e-9);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += L[i * n + k]! * L[j * n + k]!;
        expect(s).toBeCloseTo(A[i * n + j]! + (i === j ? jitter : 0), 12);
      }
    }
  });

  it("throws NumericalError naming the last jitter when even 1e-2·mean(diag) fails", () => {
    // Eigenvalue −1 with mean diagonal 1: no jitter up to 1e-2 helps.
    const attempt = (): unknown => choleskyWithJitter(Float64Array.of(1, 2, 2, 1), 2);
    expect(attempt).toThrow(NumericalError);
    expect(attempt).toThrow(/jitter 1\.000e-2/);
  });
});
