import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors.js";
import { cholesky } from "../../src/linalg/cholesky.js";
import { appendToCholesky } from "../../src/linalg/cholesky-append.js";
import { Rng } from "../../src/rng.js";
import { randomSpd, relativeError } from "./helpers.js";

describe("appendToCholesky", () => {
  it.each([
    [10, 1],
    [10, 3],
    [1, 4],
    [25, 6],
  ])("extending a factor of order %i by %i equals a fresh factorisation", (n, p) => {
    const N = n + p;
    const A = randomSpd(N, new Rng(N * 7 + p));
    const top = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) top[i * n + j] = A[i * N + j]!;
    const kNew = new Float64Array(n * p);
    for (let i = 0; i < n; i++) for (let a = 0; a < p; a++) kNew[i * p + a] = A[i * N + n + a]!;
    const kNewNew = new Float64Array(p * p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) kNewNew[a * p + b] = A[(n + a) * N + n + b]!;
    const appended = appendToCholesky(cholesky(top, n)!, n, kNew, kNewNew);
    expect(relativeError(appended, cholesky(A, N)!)).toBeLessThan(1e-11);
  });

  it("rejects blocks of inconsistent sizes", () => {
    const L = cholesky(randomSpd(3, new Rng(1)), 3)!;
    expect(() => appendToCholesky(L, 3, new Float64Array(5), new Float64Array(4))).toThrow(InvalidArgumentError);
  });
});
