import { inverse } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { cholesky } from "../../src/linalg/cholesky.js";
import { choleskyInverse } from "../../src/linalg/cholesky-inverse.js";
import { Rng } from "../../src/rng.js";
import { randomSpd, relativeError, toMatrix } from "./helpers.js";

describe("choleskyInverse", () => {
  it.each([1, 2, 3, 8, 21])("matches ml-matrix's inverse and is exactly symmetric (n = %i)", (n) => {
    const A = randomSpd(n, new Rng(300 + n));
    const Kinv = choleskyInverse(cholesky(A, n)!, n);
    const reference = inverse(toMatrix(A, n, n)).to1DArray();
    expect(relativeError(Kinv, reference)).toBeLessThan(1e-9);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(Kinv[i * n + j]).toBe(Kinv[j * n + i]);
  });
});
