import { describe, expect, it } from "vitest";
import { Matern52Kernel } from "../../src/gp/kernel.js";
import { Rng } from "../../src/rng.js";
import { categoricalDim, categoryCode, centralDifference, continuousDim } from "./helpers.js";

const mixedDims = [continuousDim("a"), categoricalDim("c", 5), continuousDim("b")];

function randomPoint(rng: Rng): Float64Array {
  return Float64Array.of(rng.uniform(), categoryCode(rng.int(5), 5), rng.uniform());
}

describe("Matern52Kernel", () => {
  it("has the Matérn-5/2 value at a known distance", () => {
    const kernel = new Matern52Kernel([continuousDim("x")], { lengthscales: Float64Array.of(0.5), outputscale: 2 });
    // r = 0.3 / 0.5 = 0.6; 2·(1 + √5·0.6 + 5·0.36/3)·exp(−√5·0.6) by mpmath at 30 digits.
    expect(kernel.value(Float64Array.of(0.1), Float64Array.of(0.4))).toBeCloseTo(1.537986218503235958, 14);
    expect(kernel.value(Float64Array.of(0.4), Float64Array.of(0.4))).toBe(2);
  });

  it("adds a Hamming term for categorical dimensions, whatever the codes", () => {
    const dims = [continuousDim("x"), categoricalDim("c", 5)];
    const kernel = new Matern52Kernel(dims, { lengthscales: Float64Array.of(0.5, 0.7), outputscale: 1.3 });
    // r² = 0.3²/0.5² + 1/0.7²; value by mpmath at 30 digits.
    const adjacent = kernel.value(Float64Array.of(0.1, categoryCode(0, 5)), Float64Array.of(0.4, categoryCode(1, 5)));
    const distant = kernel.value(Float64Array.of(0.1, categoryCode(0, 5)), Float64Array.of(0.4, categoryCode(4, 5)));
    expect(adjacent).toBeCloseTo(0.3442930004219474983, 14);
    expect(distant).toBe(adjacent);
    // Two codes inside the same category's cell are the same category.
    expect(kernel.value(Float64Array.of(0.1, 0.41), Float64Array.of(0.1, 0.59))).toBe(1.3);
  });

  it("builds an exactly symmetric matrix and cross-covariances consistent with value()", () => {
    const rng = new Rng(3);
    const kernel = new Matern52Kernel(mixedDims, { lengthscales: Float64Array.of(0.3, 0.8, 1.7), outputscale: 0.9 });
    const X = Array.from({ length: 9 }, () => randomPoint(rng));
    const Xs = Array.from({ length: 4 }, () => randomPoint(rng));
    const K = kernel.matrix(kernel.scale(X), 9);
    for (let i = 0; i < 9; i++) {
      expect(K[i * 9 + i]).toBe(0.9);
      for (let j = 0; j < 9; j++) {
        expect(K[i * 9 + j]).toBe(K[j * 9 + i]);
        expect(K[i * 9 + j]).toBeCloseTo(kernel.value(X[i]!, X[j]!), 15);
      }
    }
    const C = kernel.cross(kernel.scale(Xs), 4, kernel.scale(X), 9);
    for (let r = 0; r < 4; r++) for (let i = 0; i < 9; i++) expect(C[r * 9 + i]).toBeCloseTo(kernel.value(Xs[r]!, X[i]!), 15);
  });

  it("has an input gradient matching central differences, 0 on categorical dims", () => {
    const rng = new Rng(11);
    const lengthscales = Float64Array.of(0.3, 0.8, 1.7);
    const kernel = new Matern52Kernel(mixedDims, { lengthscales, outputscale: 1.4 });
    for (let trial = 0; trial < 10; trial++) {
      const x = randomPoint(rng);
      const xPrime = randomPoint(rng);
      const grad = kernel.inputGradient(x, xPrime, new Float64Array(3));
      expect(grad[1]).toBe(0);
      for (const j of [0, 2]) {
        const numeric = centralDifference((z) => kernel.value(z, xPrime), x, j, 1e-6);
        expect(Math.abs(grad[j]! - numeric)).toBeLessThan(1e-7 * Math.max(1, Math.abs(numeric)));
      }
    }
  });

  it("has a finite, zero input gradient at r = 0", () => {
    const kernel = new Matern52Kernel(mixedDims, { lengthscales: Float64Array.of(0.3, 0.8, 1.7), outputscale: 1 });
    const x = Float64Array.of(0.2, 0.5, 0.9);
    const grad = kernel.inputGradient(x, x, new Float64Array(3));
    expect(Array.from(grad, Math.abs)).toEqual([0, 0, 0]);
    // And continuous there: a 1e-7 offset gives a gradient of order 1e-7, by central differences.
    const near = Float64Array.of(0.2 + 1e-7, 0.5, 0.9);
    const g = kernel.inputGradient(near, x, new Float64Array(3))[0]!;
    const numeric = centralDifference((z) => kernel.value(z, x), near, 0, 1e-9);
    expect(Math.abs(g)).toBeLessThan(1e-5);
    expect(Math.abs(g - numeric)).toBeLessThan(1e-6);
  });

  it("has hyperparameter gradients matching central differences in the log-parameters", () => {
    const rng = new Rng(12);
    for (let trial = 0; trial < 10; trial++) {
      const x = randomPoint(rng);
      const xPrime = randomPoint(rng);
      const logParams = Float64Array.of(Math.log(0.3), Math.log(0.8), Math.log(1.7), Math.log(1.4));
      const valueAt = (theta: Float64Array): number =>
        new Matern52Kernel(mixedDims, {
          lengthscales: theta.slice(0, 3).map(Math.exp),
          outputscale: Math.exp(theta[3]!),
        }).value(x, xPrime);
      const kernel = new Matern52Kernel(mixedDims, { lengthscales: Float64Array.of(0.3, 0.8, 1.7), outputscale: 1.4 });
      const grad = kernel.hyperparameterGradient(x, xPrime, new Float64Array(4));
      for (let j = 0; j < 4; j++) {
        const numeric = centralDifference(valueAt, logParams, j, 1e-6);
        expect(Math.abs(grad[j]! - numeric)).toBeLessThan(1e-8 * Math.max(1, Math.abs(numeric)));
      }
      expect(grad[3]).toBeCloseTo(kernel.value(x, xPrime), 15);
    }
  });
});
