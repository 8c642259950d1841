import { CholeskyDecomposition, Matrix } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { Matern52Kernel } from "../../src/gp/kernel.js";
import { createNegLogMarginalPosterior, negLogMarginalPosterior } from "../../src/gp/marginal-posterior.js";
import { logPrior } from "../../src/gp/priors.js";
import { Rng } from "../../src/rng.js";
import type { EncodedDim } from "../../src/space/encoded-dim.js";
import { categoricalDim, categoryCode, centralDifference, continuousDim } from "./helpers.js";

const dims: EncodedDim[] = [
  continuousDim("a"),
  categoricalDim("c", 3),
  continuousDim("b"),
  { name: "k", kind: "discrete", levels: 4, centers: Float64Array.of(0.125, 0.375, 0.625, 0.875) },
];

function data(n: number, seed: number): { X: Float64Array[]; y: Float64Array } {
  const rng = new Rng(seed);
  const X = Array.from({ length: n }, () =>
    Float64Array.of(rng.uniform(), categoryCode(rng.int(3), 3), rng.uniform(), (rng.int(4) + 0.5) / 4),
  );
  const y = Float64Array.from(X, (x) => Math.sin(4 * x[0]!) + (x[1]! > 0.5 ? 0.5 : 0) + x[2]! * x[3]! + 0.1 * rng.normal());
  return { X, y };
}

/** Dense reference: ½ yᵀK⁻¹y + ½ log det K + (n/2) log 2π − log p(θ), through ml-matrix. */
function denseReference(theta: Float64Array, X: Float64Array[], y: Float64Array): number {
  const n = X.length;
  const d = dims.length;
  const kernel = new Matern52Kernel(dims, {
    lengthscales: theta.slice(0, d).map(Math.exp),
    outputscale: Math.exp(theta[d]!),
  });
  const K = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) K.set(i, j, kernel.value(X[i]!, X[j]!) + (i === j ? Math.exp(theta[d + 1]!) : 0));
  }
  const chol = new CholeskyDecomposition(K);
  const alpha = chol.solve(Matrix.columnVector(Array.from(y))).to1DArray();
  let value = 0.5 * n * Math.log(2 * Math.PI);
  for (let i = 0; i < n; i++) value += 0.5 * y[i]! * alpha[i]! + Math.log(chol.lowerTriangularMatrix.get(i, i));
  return value - logPrior(theta);
}

describe("negLogMarginalPosterior", () => {
  it("equals a dense ml-matrix computation", () => {
    const { X, y } = data(18, 1);
    const rng = new Rng(2);
    for (let trial = 0; trial < 4; trial++) {
      const theta = Float64Array.from({ length: 6 }, () => rng.normal() * 0.8);
      theta[5] = -3 + rng.normal();
      const value = negLogMarginalPosterior(theta, X, y, dims, new Float64Array(6));
      expect(value).toBeCloseTo(denseReference(theta, X, y), 9);
    }
  });

  it("has an analytic gradient matching central differences (mixed continuous, discrete, categorical)", () => {
    const { X, y } = data(25, 3);
    const f = createNegLogMarginalPosterior(X, y, dims);
    const rng = new Rng(4);
    for (let trial = 0; trial < 6; trial++) {
      const theta = Float64Array.from({ length: 6 }, () => rng.normal());
      theta[5] = -4 + 2 * rng.uniform();
      const grad = new Float64Array(6);
      f(theta, grad);
      const scratch = new Float64Array(6);
      for (let j = 0; j < 6; j++) {
        const numeric = centralDifference((t) => f(t, scratch), theta, j, 1e-5);
        expect(Math.abs(grad[j]! - numeric) / Math.max(1, Math.abs(numeric))).toBeLessThan(1e-5);
      }
    }
  });

  it("returns the same value and gradient on repeated calls (no state leaks between evaluations)", () => {
    const { X, y } = data(10, 5);
    const f = createNegLogMarginalPosterior(X, y, dims);
    const a = Float64Array.of(0.1, -0.3, 0.5, 0, 0.2, -3);
    const b = Float64Array.of(-1, 1, 0.5, 0.3, -0.5, -5);
    const g1 = new Float64Array(6);
    const g2 = new Float64Array(6);
    const v1 = f(a, g1);
    f(b, g2);
    const v2 = f(a, g2);
    expect(v2).toBe(v1);
    expect(Array.from(g2)).toEqual(Array.from(g1));
  });
});
