import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors.js";
import { fitGP, fitHyperparameters, fitSubset } from "../../src/gp/fit.js";
import { OutputTransform } from "../../src/gp/output-transform.js";
import { priorMode } from "../../src/gp/priors.js";
import { Rng } from "../../src/rng.js";
import type { EncodedDim } from "../../src/space/encoded-dim.js";
import { categoricalDim, categoryCode, continuousDim } from "./helpers.js";

const oneDim = [continuousDim("x")];

/** Spearman rank correlation (no ties in the data used here). */
function rankCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ranks = (v: ArrayLike<number>): number[] => {
    const order = Array.from({ length: v.length }, (_, i) => i).sort((i, j) => v[i]! - v[j]!);
    const r = new Array<number>(v.length);
    order.forEach((index, rank) => (r[index] = rank));
    return r;
  };
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += (ra[i]! - rb[i]!) ** 2;
  return 1 - (6 * s) / (n * (n * n - 1));
}

describe("fitGP", () => {
  it("recovers a smooth 1-D function at held-out points", () => {
    const f = (x: number): number => 0.8 * Math.sin(2 * Math.PI * x) + x;
    const X = Array.from({ length: 15 }, (_, i) => Float64Array.of((i + 0.5) / 15));
    const y = Float64Array.from(X, (x) => f(x[0]!));
    const gp = fitGP(X, y, { dims: oneDim });
    const heldOut = Array.from({ length: 14 }, (_, i) => Float64Array.of((i + 1) / 15));
    const { mean } = gp.predict(heldOut);
    for (let r = 0; r < heldOut.length; r++) {
      expect(Math.abs(gp.fromModelUnits(mean[r]!) - f(heldOut[r]![0]!))).toBeLessThan(0.03);
    }
  });

  it("still orders held-out points when one loss diverged to 1e6", () => {
    const f = (x: number): number => 2.5 + Math.sin(5 * x) + 0.5 * x;
    const X = Array.from({ length: 20 }, (_, i) => Float64Array.of((i + 0.25) / 20));
    const y = Float64Array.from(X, (x) => f(x[0]!));
    X.push(Float64Array.of(0.62));
    const yWithOutlier = Float64Array.from([...y, 1e6]);
    const gp = fitGP(X, yWithOutlier, { dims: oneDim });
    const heldOut = Array.from({ length: 15 }, (_, i) => Float64Array.of(0.03 + (i * 0.94) / 14));
    const { mean } = gp.predict(heldOut);
    const truth = heldOut.map((x) => f(x[0]!));
    expect(rankCorrelation(mean, truth)).toBeGreaterThan(0.8);
  });

  it("is deterministic and conditions on every point while fitting on a subset", () => {
    const rng = new Rng(21);
    const dims: EncodedDim[] = [continuousDim("a"), categoricalDim("c", 3)];
    const X = Array.from({ length: 60 }, () => Float64Array.of(rng.uniform(), categoryCode(rng.int(3), 3)));
    const y = Float64Array.from(X, (x) => (x[0]! - 0.3) ** 2 + x[1]!);
    const a = fitGP(X, y, { dims, maxFitPoints: 20 });
    const b = fitGP(X, y, { dims, maxFitPoints: 20 });
    expect(a.n).toBe(60);
    expect(Array.from(a.hyperparameters.lengthscales)).toEqual(Array.from(b.hyperparameters.lengthscales));
    expect(a.hyperparameters.noise).toBe(b.hyperparameters.noise);
    const subset = fitSubset(y, 20);
    const yModel = OutputTransform.fit(y).forwardAll(y);
    const direct = fitHyperparameters(
      subset.map((i) => X[i]!),
      Float64Array.from(subset, (i) => yModel[i]!),
      dims,
      undefined,
      50,
    );
    expect(Array.from(a.hyperparameters.lengthscales)).toEqual(Array.from(direct.hyperparameters.lengthscales));
  });

  it("starts at the prior modes and stays there with maxIterations = 0", () => {
    const X = [Float64Array.of(0.1, 0.2), Float64Array.of(0.5, 0.9), Float64Array.of(0.7, 0.3)];
    const gp = fitGP(X, Float64Array.of(1, 2, 3), { dims: [continuousDim("a"), continuousDim("b")], maxIterations: 0 });
    const mode = priorMode(2);
    for (const l of gp.hyperparameters.lengthscales) expect(Math.log(l)).toBeCloseTo(mode[0]!, 12);
    expect(Math.log(gp.hyperparameters.outputscale)).toBeCloseTo(mode[2]!, 12);
    expect(Math.log(gp.hyperparameters.noise)).toBeCloseTo(mode[3]!, 12);
  });

  it("fits repeated evaluations of the same point (noisy duplicates)", () => {
    const X = [0.1, 0.4, 0.4, 0.4, 0.8, 0.8].map((u) => Float64Array.of(u));
    const y = Float64Array.of(3, 2.1, 2.0, 2.2, 2.9, 3.1);
    const gp = fitGP(X, y, { dims: oneDim });
    const { mean, variance } = gp.predict([Float64Array.of(0.4), Float64Array.of(0.6)]);
    expect(gp.fromModelUnits(mean[0]!)).toBeCloseTo(2.1, 1);
    expect(Array.from(variance).every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    expect(gp.hyperparameters.noise).toBeGreaterThan(1e-4);
  });

  it("fits a single point without searching", () => {
    const gp = fitGP([Float64Array.of(0.5)], Float64Array.of(4), { dims: oneDim });
    expect(gp.n).toBe(1);
    expect(gp.fromModelUnits(gp.yModel[0]!)).toBe(4);
  });

  it("rejects malformed input with messages that say what must hold", () => {
    const X = [Float64Array.of(0.1), Float64Array.of(0.2)];
    expect(() => fitGP([], new Float64Array(0), { dims: oneDim })).toThrow(InvalidArgumentError);
    expect(() => fitGP(X, Float64Array.of(1), { dims: oneDim })).toThrow(/y.length === X.length must hold, got 1 and 2/);
    expect(() => fitGP(X, Float64Array.of(1, Infinity), { dims: oneDim })).toThrow(/y must be finite/);
    expect(() => fitGP([Float64Array.of(0.1, 0.2)], Float64Array.of(1), { dims: oneDim })).toThrow(/X\[0\].length === 1/);
    expect(() => fitGP(X, Float64Array.of(1, 2), { dims: oneDim, maxIterations: -1 })).toThrow(/maxIterations/);
    expect(() => fitGP(X, Float64Array.of(1, 2), { dims: oneDim, maxFitPoints: 0 })).toThrow(/maxFitPoints/);
    const warmStart = { lengthscales: Float64Array.of(1, 1), outputscale: 1, noise: 0.1 };
    expect(() => fitGP(X, Float64Array.of(1, 2), { dims: oneDim, warmStart })).toThrow(/warmStart.lengthscales/);
  });
});

describe("fitHyperparameters warm start", () => {
  it("reaches the cold optimum after one more observation, with fewer evaluations", () => {
    const rng = new Rng(31);
    const dims: EncodedDim[] = [continuousDim("a"), continuousDim("b"), categoricalDim("c", 3)];
    const X = Array.from({ length: 41 }, () => Float64Array.of(rng.uniform(), rng.uniform(), categoryCode(rng.int(3), 3)));
    const y = Float64Array.from(X, (x) => Math.sin(3 * x[0]!) + 0.3 * x[1]! + (x[2]! > 0.5 ? 0.4 : 0) + 0.05 * rng.normal());
    const model = (k: number): Float64Array => OutputTransform.fit(y.subarray(0, k)).forwardAll(y.subarray(0, k));
    const previous = fitHyperparameters(X.slice(0, 40), model(40), dims, undefined, 100);
    const cold = fitHyperparameters(X, model(41), dims, undefined, 100);
    const warm = fitHyperparameters(X, model(41), dims, previous.hyperparameters, 20);
    expect(Math.abs(warm.logPosterior - cold.logPosterior)).toBeLessThan(1e-3);
    expect(warm.evaluations).toBeLessThan(cold.evaluations);
  });
});

describe("fitGP options", () => {
  const f = (x: Float64Array): number => Math.sin(6 * x[0]!) + (x[1]! - 0.4) ** 2;
  const rng = new Rng(41);
  const dims: EncodedDim[] = [continuousDim("a"), continuousDim("b")];
  const X = Array.from({ length: 25 }, () => Float64Array.of(rng.uniform(), rng.uniform()));
  const y = Float64Array.from(X, f);

  it("interpolates the data when told the objective is deterministic", () => {
    const gp = fitGP(X, y, { dims, deterministic: true });
    expect(gp.hyperparameters.noise).toBeLessThanOrEqual(1.000001e-6);
    const { mean, variance } = gp.predict(X);
    for (let i = 0; i < X.length; i++) {
      expect(Math.abs(mean[i]! - gp.yModel[i]!)).toBeLessThan(1e-3);
      expect(variance[i]!).toBeLessThan(1e-5);
    }
  });
});

describe("fitGP previous", () => {
  it("keeping the hyperparameters, extends the previous model to the same posterior as conditioning afresh", () => {
    const dims = [continuousDim("a"), continuousDim("b")];
    const rng = new Rng(41);
    const X = Array.from({ length: 140 }, () => Float64Array.of(rng.uniform(), rng.uniform()));
    const y = Float64Array.from(X, (x) => Math.sin(4 * x[0]!) + x[1]! ** 2 + 0.05 * rng.normal());
    const first = fitGP(X.slice(0, 130), y.slice(0, 130), { dims });
    const options = { dims, warmStart: first.hyperparameters, maxIterations: 0 };
    const extended = fitGP(X, y, { ...options, previous: first });
    const afresh = fitGP(X, y, options);
    expect(extended.hyperparameters).toBe(first.hyperparameters);
    expect(extended.n).toBe(140);
    const Xs = Array.from({ length: 20 }, () => Float64Array.of(rng.uniform(), rng.uniform()));
    const a = extended.predict(Xs);
    const b = afresh.predict(Xs);
    for (let r = 0; r < Xs.length; r++) {
      expect(Math.abs(a.mean[r]! - b.mean[r]!)).toBeLessThan(1e-9);
      expect(Math.abs(a.variance[r]! - b.variance[r]!)).toBeLessThan(1e-9);
    }
  });
});

describe("fitSubset", () => {
  it("keeps the best quarter by y and an even stride through the rest, in index order", () => {
    const y = Float64Array.of(5, 0, 9, 8, 1, 7, 6, 2, 4, 3);
    // Budget 4: the best one (index 1), then indices that are multiples of ⌈10 / 3⌉ = 4.
    expect(fitSubset(y, 4)).toEqual([0, 1, 4, 8]);
    // Budget 8: the best two (indices 1, 4), then multiples of ⌈10 / 6⌉ = 2.
    expect(fitSubset(y, 8)).toEqual([0, 1, 2, 4, 6, 8]);
    expect(fitSubset(y, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("stays within the budget and changes little when one point arrives", () => {
    const rng = new Rng(5);
    const y = Float64Array.from({ length: 701 }, () => rng.normal());
    // Away from the n where the stride ⌈n / 150⌉ steps up (300 → 301, 450 → 451, ...).
    for (const n of [201, 400, 700]) {
      const before = fitSubset(y.subarray(0, n), 200);
      const after = new Set(fitSubset(y.subarray(0, n + 1), 200));
      expect(after.size).toBeLessThanOrEqual(200);
      expect(before.filter((i) => !after.has(i)).length).toBeLessThanOrEqual(1);
    }
  });
});
