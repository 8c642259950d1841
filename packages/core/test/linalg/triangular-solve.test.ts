import { Matrix, solve } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { cholesky } from "../../src/linalg/cholesky.js";
import {
  solveLower,
  solveLowerMany,
  solveLowerTransposed,
  solveLowerTransposedMany,
  solveUpper,
  transposeLower,
} from "../../src/linalg/triangular-solve.js";
import { Rng } from "../../src/rng.js";
import { randomSpd, relativeError, toMatrix } from "./helpers.js";

function setup(n: number, seed: number): { L: Float64Array; rng: Rng } {
  const rng = new Rng(seed);
  return { L: cholesky(randomSpd(n, rng), n)!, rng };
}

describe("triangular solves", () => {
  it.each([1, 2, 5, 24])("solveLower and solveLowerTransposed match ml-matrix's solve (n = %i)", (n) => {
    const { L, rng } = setup(n, n + 10);
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const Lm = toMatrix(L, n, n);
    const bm = Matrix.columnVector(Array.from(b));
    expect(relativeError(solveLower(L, n, b), solve(Lm, bm).to1DArray())).toBeLessThan(1e-10);
    expect(relativeError(solveLowerTransposed(L, n, b), solve(Lm.transpose(), bm).to1DArray())).toBeLessThan(1e-10);
  });

  it("solveUpper with the transposed factor equals solveLowerTransposed, also in place", () => {
    const n = 23;
    const { L, rng } = setup(n, 8);
    const U = transposeLower(L, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(U[i * n + j]).toBe(L[j * n + i]);
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const expected = solveLowerTransposed(L, n, b);
    expect(relativeError(solveUpper(U, n, b), expected)).toBeLessThan(1e-13);
    const inPlace = b.slice();
    solveUpper(U, n, inPlace, inPlace);
    expect(relativeError(inPlace, expected)).toBeLessThan(1e-13);
  });

  it("solving L Lᵀ x = b by both substitutions solves the SPD system", () => {
    const n = 30;
    const rng = new Rng(5);
    const A = randomSpd(n, rng);
    const L = cholesky(A, n)!;
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const x = solveLowerTransposed(L, n, solveLower(L, n, b));
    const reference = solve(toMatrix(A, n, n), Matrix.columnVector(Array.from(b))).to1DArray();
    expect(relativeError(x, reference)).toBeLessThan(1e-9);
  });

  it.each([
    [13, 1],
    [13, 3],
    [13, 4],
    [13, 5],
    [12, 9],
    [12, 8],
    [1, 6],
  ])("many right-hand sides (n = %i, m = %i) equal one solve per row, also in place", (n, m) => {
    const { L, rng } = setup(n, 77 + m);
    const B = Float64Array.from({ length: m * n }, () => rng.normal());
    const forward = solveLowerMany(L, n, B, m);
    const backward = solveLowerTransposedMany(L, n, B, m);
    for (let r = 0; r < m; r++) {
      const b = B.slice(r * n, r * n + n);
      expect(relativeError(forward.subarray(r * n, r * n + n), solveLower(L, n, b))).toBeLessThan(1e-14);
      expect(relativeError(backward.subarray(r * n, r * n + n), solveLowerTransposed(L, n, b))).toBeLessThan(1e-14);
    }
    const inPlace = B.slice();
    solveLowerMany(L, n, inPlace, m, inPlace);
    expect(Array.from(inPlace)).toEqual(Array.from(forward));
    const inPlaceBack = B.slice();
    solveLowerTransposedMany(L, n, inPlaceBack, m, inPlaceBack);
    expect(Array.from(inPlaceBack)).toEqual(Array.from(backward));
  });
});
