import { Matrix, solve } from "ml-matrix";
import { describe, expect, it } from "vitest";
import type { GPHyperparameters } from "../../src/gp/gaussian-process.js";
import { conditionGP } from "../../src/gp/gaussian-process.js";
import { Matern52Kernel } from "../../src/gp/kernel.js";
import { OutputTransform } from "../../src/gp/output-transform.js";
import { Rng } from "../../src/rng.js";
import type { EncodedDim } from "../../src/space/encoded-dim.js";
import { categoricalDim, categoryCode, centralDifference, continuousDim } from "./helpers.js";

/** Matérn-5/2 correlation at scaled distance r, written out for the closed forms. */
function m52(r: number): number {
  return (1 + Math.sqrt(5) * r + (5 / 3) * r * r) * Math.exp(-Math.sqrt(5) * r);
}

const mixedDims: EncodedDim[] = [continuousDim("a"), categoricalDim("c", 4), continuousDim("b")];
const mixedHyper: GPHyperparameters = {
  lengthscales: Float64Array.of(0.35, 0.9, 0.6),
  outputscale: 1.3,
  noise: 0.02,
};

function mixedData(n: number, seed: number): { X: Float64Array[]; y: Float64Array } {
  const rng = new Rng(seed);
  const X = Array.from({ length: n }, () => Float64Array.of(rng.uniform(), categoryCode(rng.int(4), 4), rng.uniform()));
  const y = Float64Array.from(X, (x) => Math.cos(5 * x[0]!) + x[1]! * 2 - x[2]! ** 2);
  return { X, y };
}

function condition(X: Float64Array[], y: Float64Array, dims = mixedDims, hyper = mixedHyper) {
  const transform = OutputTransform.fit(y);
  return conditionGP(X, transform.forwardAll(y), dims, hyper, transform);
}

describe("GaussianProcess posterior", () => {
  it("matches the closed form for two points in 1-D", () => {
    const hyper = { lengthscales: Float64Array.of(0.3), outputscale: 1.5, noise: 0.1 };
    const gp = condition([Float64Array.of(0.2), Float64Array.of(0.7)], Float64Array.of(1, 3), [continuousDim("x")], hyper);
    // Two values always standardise to ∓1.
    expect(gp.yModel[0]).toBeCloseTo(-1, 14);
    expect(gp.yModel[1]).toBeCloseTo(1, 14);
    expect(gp.bestModel).toBe(gp.yModel[0]);
    // K = [[a, k12], [k12, a]], K⁻¹ = [[a, −k12], [−k12, a]] / (a² − k12²).
    const a = 1.5 + 0.1;
    const k12 = 1.5 * m52(0.5 / 0.3);
    const det = a * a - k12 * k12;
    // x* = 0.4: k* = σ²·(m(0.2/0.3), m(0.3/0.3)).
    const k1 = 1.5 * m52(0.2 / 0.3);
    const k2 = 1.5 * m52(0.3 / 0.3);
    const w1 = (a * k1 - k12 * k2) / det;
    const w2 = (-k12 * k1 + a * k2) / det;
    const mean = w1 * -1 + w2 * 1;
    const variance = 1.5 - (w1 * k1 + w2 * k2);
    const prediction = gp.predict([Float64Array.of(0.4)]);
    expect(Math.abs(prediction.mean[0]! - mean)).toBeLessThan(1e-10);
    expect(Math.abs(prediction.variance[0]! - variance)).toBeLessThan(1e-10);
  });

  it("matches a dense ml-matrix solve on a random mixed case (n = 20, m = 7)", () => {
    const { X, y } = mixedData(20, 1);
    const gp = condition(X, y);
    const kernel = new Matern52Kernel(mixedDims, mixedHyper);
    const K = new Matrix(20, 20);
    for (let i = 0; i < 20; i++) for (let j = 0; j < 20; j++) K.set(i, j, kernel.value(X[i]!, X[j]!) + (i === j ? 0.02 : 0));
    const alpha = solve(K, Matrix.columnVector(Array.from(gp.yModel))).to1DArray();
    const Xs = mixedData(7, 2).X;
    const { mean, variance } = gp.predict(Xs);
    for (let r = 0; r < 7; r++) {
      const ks = X.map((x) => kernel.value(Xs[r]!, x));
      const w = solve(K, Matrix.columnVector(ks)).to1DArray();
      let expectedMean = 0;
      let explained = 0;
      for (let i = 0; i < 20; i++) {
        expectedMean += ks[i]! * alpha[i]!;
        explained += ks[i]! * w[i]!;
      }
      expect(mean[r]).toBeCloseTo(expectedMean, 10);
      expect(variance[r]).toBeCloseTo(1.3 - explained, 10);
    }
  });

  it("predictWithGradient agrees with predict and with central differences of it", () => {
    const { X, y } = mixedData(30, 3);
    const gp = condition(X, y);
    const rng = new Rng(4);
    const dMean = new Float64Array(3);
    const dVariance = new Float64Array(3);
    for (let trial = 0; trial < 8; trial++) {
      const x = Float64Array.of(rng.uniform(), categoryCode(rng.int(4), 4), rng.uniform());
      const single = gp.predictWithGradient(x, dMean, dVariance);
      const batch = gp.predict([x]);
      expect(single.mean).toBeCloseTo(batch.mean[0]!, 12);
      expect(single.variance).toBeCloseTo(batch.variance[0]!, 12);
      expect(dMean[1]).toBe(0);
      expect(dVariance[1]).toBe(0);
      for (const j of [0, 2]) {
        const numericMean = centralDifference((z) => gp.predict([z]).mean[0]!, x, j, 1e-6);
        const numericVariance = centralDifference((z) => gp.predict([z]).variance[0]!, x, j, 1e-6);
        expect(Math.abs(dMean[j]! - numericMean)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numericMean)));
        expect(Math.abs(dVariance[j]! - numericVariance)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numericVariance)));
      }
    }
  });

  it("interpolates a training point up to the noise", () => {
    const { X, y } = mixedData(12, 5);
    const gp = condition(X, y);
    const { mean, variance } = gp.predict([X[4]!]);
    expect(Math.abs(mean[0]! - gp.yModel[4]!)).toBeLessThan(0.1);
    expect(variance[0]!).toBeLessThan(0.02);
    expect(gp.fromModelUnits(gp.toModelUnits(y[4]!))).toBeCloseTo(y[4]!, 12);
  });
});

describe("GaussianProcess with categorical dimensions", () => {
  it("is unchanged when category labels are permuted consistently", () => {
    const { X, y } = mixedData(25, 6);
    const permutation = [2, 0, 3, 1];
    const relabel = (x: Float64Array): Float64Array =>
      Float64Array.of(x[0]!, categoryCode(permutation[Math.floor(x[1]! * 4)]!, 4), x[2]!);
    const Xs = mixedData(9, 7).X;
    const original = condition(X, y).predict(Xs);
    const permuted = condition(X.map(relabel), y).predict(Xs.map(relabel));
    for (let r = 0; r < 9; r++) {
      expect(permuted.mean[r]).toBeCloseTo(original.mean[r]!, 12);
      expect(permuted.variance[r]).toBeCloseTo(original.variance[r]!, 12);
    }
  });

  it("does not treat distant category codes as farther apart than adjacent ones", () => {
    const rng = new Rng(8);
    const X = Array.from({ length: 10 }, () => Float64Array.of(rng.uniform(), categoryCode(0, 4), rng.uniform()));
    const y = Float64Array.from(X, (x) => x[0]! + x[2]!);
    const gp = condition(X, y);
    const adjacent = gp.predict([Float64Array.of(0.5, categoryCode(1, 4), 0.5)]);
    const distant = gp.predict([Float64Array.of(0.5, categoryCode(3, 4), 0.5)]);
    expect(distant.mean[0]).toBe(adjacent.mean[0]);
    expect(distant.variance[0]).toBe(adjacent.variance[0]);
  });
});

describe("GaussianProcess.fantasize", () => {
  it("equals conditioning afresh on the points plus the fantasies at their posterior means", () => {
    const { X, y } = mixedData(30, 9);
    const gp = condition(X, y);
    const Xp = mixedData(3, 10).X;
    const fantasy = gp.fantasize(Xp);
    const believed = gp.predict(Xp).mean;
    const yModel = Float64Array.from([...gp.yModel, ...believed]);
    const transform = OutputTransform.fit(y);
    const reference = conditionGP([...X, ...Xp], yModel, mixedDims, mixedHyper, transform);
    expect(fantasy.n).toBe(33);
    expect(Array.from(fantasy.yModel)).toEqual(Array.from(yModel));
    const Xs = mixedData(11, 11).X;
    const a = fantasy.predict(Xs);
    const b = reference.predict(Xs);
    for (let r = 0; r < 11; r++) {
      expect(a.mean[r]).toBeCloseTo(b.mean[r]!, 10);
      expect(a.variance[r]).toBeCloseTo(b.variance[r]!, 10);
    }
    // Fantasising one at a time is the same as all at once.
    const sequential = gp.fantasize([Xp[0]!]).fantasize([Xp[1]!]).fantasize([Xp[2]!]).predict(Xs);
    for (let r = 0; r < 11; r++) expect(sequential.mean[r]).toBeCloseTo(a.mean[r]!, 10);
  });

  it("shrinks the variance at the fantasy point to v·σ_n²/(v + σ_n²) and keeps the mean", () => {
    const { X, y } = mixedData(15, 12);
    const gp = condition(X, y);
    const x = Float64Array.of(0.93, categoryCode(2, 4), 0.07);
    const before = gp.predict([x]);
    const v = before.variance[0]!;
    const after = gp.fantasize([x]).predict([x]);
    expect(after.variance[0]).toBeCloseTo((v * 0.02) / (v + 0.02), 12);
    expect(after.variance[0]!).toBeLessThan(0.02);
    expect(after.mean[0]).toBeCloseTo(before.mean[0]!, 12);
    // A nearly noise-free fantasy (what a batch uses) leaves almost no variance there.
    const exact = gp.fantasize([x], 1e-6).predict([x]);
    expect(exact.variance[0]).toBeCloseTo((v * 1e-6) / (v + 1e-6), 12);
    expect(exact.variance[0]!).toBeLessThan(1e-6);
  });
});

describe("GaussianProcess.predict at a remembered set of points", () => {
  it("gives a fantasised GP the posterior of conditioning from scratch, extended from its parent's", () => {
    const { X, y } = mixedData(40, 21);
    const gp = condition(X, y);
    const Xs = mixedData(50, 22).X; // above the size at which predictions are remembered
    const before = gp.predict(Xs);
    const Xp = mixedData(3, 23).X;
    // With the model's own noise, so that a fresh conditionGP on all the points is the exact reference.
    const child = gp.fantasize([Xp[0]!]);
    const grandchild = child.fantasize([Xp[1]!, Xp[2]!]);
    const extended = grandchild.predict(Xs); // its parent never predicted at Xs: solved there, then extended
    child.predict(Xs);
    const extendedViaChild = grandchild.fantasize([Float64Array.of(0.5, categoryCode(0, 4), 0.5)], 1e-6);
    const fromChild = extendedViaChild.predict(Xs);
    // References: a fresh GP conditioned on the same points, predicting at a copy of Xs.
    const transform = OutputTransform.fit(y);
    const yAll = Float64Array.from([...grandchild.yModel]);
    const reference = conditionGP([...X, ...Xp], yAll, mixedDims, mixedHyper, transform).predict(Xs.map((x) => x.slice()));
    expect(grandchild.n).toBe(43);
    for (let r = 0; r < Xs.length; r++) {
      expect(Math.abs(extended.mean[r]! - reference.mean[r]!)).toBeLessThan(1e-9);
      expect(Math.abs(extended.variance[r]! - reference.variance[r]!)).toBeLessThan(1e-9);
    }
    const referenceAfter = extendedViaChild.predict(Xs.map((x) => x.slice()));
    for (let r = 0; r < Xs.length; r++) {
      expect(Math.abs(fromChild.mean[r]! - referenceAfter.mean[r]!)).toBeLessThan(1e-9);
      expect(Math.abs(fromChild.variance[r]! - referenceAfter.variance[r]!)).toBeLessThan(1e-9);
    }
    // The fantasies shrink the variance somewhere, and the parent's remembered answer is unchanged.
    expect(Xs.some((_, r) => extended.variance[r]! < before.variance[r]! - 1e-6)).toBe(true);
    const again = gp.predict(Xs);
    expect(Array.from(again.variance)).toEqual(Array.from(before.variance));
    expect(Array.from(again.mean)).toEqual(Array.from(before.mean));
  });
});

describe("GaussianProcess.predictWithGradient after fantasising", () => {
  it("matches a GP conditioned from scratch when the parent's transposed factor is extended", () => {
    const { X, y } = mixedData(30, 51);
    const gp = condition(X, y);
    const x = Float64Array.of(0.4, categoryCode(1, 4), 0.6);
    const dMean = new Float64Array(3);
    const dVariance = new Float64Array(3);
    gp.predictWithGradient(x, dMean, dVariance); // the parent builds its transposed factor
    const Xp = mixedData(2, 52).X;
    const child = gp.fantasize(Xp);
    const reference = conditionGP([...X, ...Xp], Float64Array.from(child.yModel), mixedDims, mixedHyper, OutputTransform.fit(y));
    const childGrad = { mean: new Float64Array(3), variance: new Float64Array(3) };
    const referenceGrad = { mean: new Float64Array(3), variance: new Float64Array(3) };
    const a = child.predictWithGradient(x, childGrad.mean, childGrad.variance);
    const b = reference.predictWithGradient(x, referenceGrad.mean, referenceGrad.variance);
    expect(Math.abs(a.mean - b.mean)).toBeLessThan(1e-9);
    expect(Math.abs(a.variance - b.variance)).toBeLessThan(1e-9);
    for (let j = 0; j < 3; j++) {
      expect(Math.abs(childGrad.mean[j]! - referenceGrad.mean[j]!)).toBeLessThan(1e-9);
      expect(Math.abs(childGrad.variance[j]! - referenceGrad.variance[j]!)).toBeLessThan(1e-9);
    }
    expect(Math.abs(childGrad.variance[0]!)).toBeGreaterThan(1e-6); // a gradient worth comparing
  });
});

describe("GaussianProcess.conditionedOn", () => {
  it("equals conditioning from scratch on a grown, reordered history, and needs every old point", () => {
    const { X, y } = mixedData(35, 31);
    const gp = condition(X.slice(0, 30), y.slice(0, 30));
    // The history grew by 5 points, and two old ones now come in the other order.
    const order = [...Array.from({ length: 35 }, (_, i) => i)];
    [order[3], order[17]] = [order[17]!, order[3]!];
    const Xnew = order.map((i) => X[i]!);
    const yNew = Float64Array.from(order, (i) => y[i]!);
    const transform = OutputTransform.fit(yNew);
    const yModel = transform.forwardAll(yNew);
    const extended = gp.conditionedOn(Xnew, yModel, transform)!;
    const reference = conditionGP(Xnew, yModel, mixedDims, mixedHyper, transform);
    expect(extended.n).toBe(35);
    expect([...extended.yModel].sort()).toEqual([...yModel].sort());
    const Xs = mixedData(12, 32).X;
    const a = extended.predict(Xs);
    const b = reference.predict(Xs);
    for (let r = 0; r < Xs.length; r++) {
      expect(Math.abs(a.mean[r]! - b.mean[r]!)).toBeLessThan(1e-9);
      expect(Math.abs(a.variance[r]! - b.variance[r]!)).toBeLessThan(1e-9);
    }
    // New targets for the same points: the factor is reused as it is.
    const same = gp.conditionedOn(X.slice(0, 30), yModel.slice(0, 30), transform)!;
    const sameReference = conditionGP(X.slice(0, 30), yModel.slice(0, 30), mixedDims, mixedHyper, transform).predict(Xs);
    const sameA = same.predict(Xs);
    for (let r = 0; r < Xs.length; r++) expect(Math.abs(sameA.mean[r]! - sameReference.mean[r]!)).toBeLessThan(1e-9);
    // A history without one of the old points cannot extend this factor.
    expect(gp.conditionedOn(Xnew.filter((_, i) => i !== 5), yModel.filter((_, i) => i !== 5), transform)).toBeUndefined();
  });
});
