import { Matrix, solve, determinant } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { decayKernel, decayShape, FreezeThawModel, fitFreezeThaw, type FreezeThawHyperparameters, type ObservedCurve } from "../../src/curves/freeze-thaw.js";
import { Matern52Kernel } from "../../src/gp/kernel.js";
import { continuousDim } from "../gp/helpers.js";

const dims = [continuousDim("a"), continuousDim("b")];

const hyper: FreezeThawHyperparameters = {
  mean: 0.4,
  outputscale: 1.3,
  lengthscales: Float64Array.of(0.3, 0.7),
  alpha: 1.7,
  beta: 0.4,
  decayVariance: 0.8,
  decayMean: 1.1,
  amplitudeVariance: 0.6,
  noise: 0.01,
};

const curves: ObservedCurve[] = [
  { x: Float64Array.of(0.1, 0.2), points: [[0.1, 2.1], [0.3, 1.4], [0.6, 1.1], [1, 1.0]] },
  { x: Float64Array.of(0.8, 0.5), points: [[0.1, 1.5], [0.2, 1.2]] },
  { x: Float64Array.of(0.4, 0.9), points: [[0.1, 2.6]] },
  { x: Float64Array.of(0.45, 0.85), points: [[0.05, 3.0], [0.1, 2.5], [0.4, 1.7]] },
];

/** The mean of point p: m + A φ(s_p). */
const priorMean = (s: number): number => hyper.mean + hyper.decayMean * decayShape(s, hyper);

/**
 * The model written out as one Gaussian over every point of every curve:
 * Cov(y_p, y_q) = (σ_f² + σ_a² φ(s_p) φ(s_q)) k_x(x_p, x_q) + [same curve] (k_t(s_p, s_q) + σ_n² [p = q]).
 */
function jointGaussian(h: FreezeThawHyperparameters): { C: Matrix; y: number[]; owner: number[]; s: number[] } {
  const kernel = new Matern52Kernel(dims, { lengthscales: h.lengthscales, outputscale: 1 });
  const owner = curves.flatMap((c, i) => c.points.map(() => i));
  const s = curves.flatMap((c) => c.points.map((p) => p[0]));
  const y = curves.flatMap((c) => c.points.map((p) => p[1]));
  const C = Matrix.zeros(y.length, y.length);
  for (let p = 0; p < y.length; p++) {
    for (let q = 0; q < y.length; q++) {
      let c = (h.outputscale + h.amplitudeVariance * decayShape(s[p]!, h) * decayShape(s[q]!, h)) * kernel.value(curves[owner[p]!]!.x, curves[owner[q]!]!.x);
      if (owner[p] === owner[q]) c += decayKernel(s[p]!, s[q]!, h) + (p === q ? h.noise : 0);
      C.set(p, q, c);
    }
  }
  return { C, y, owner, s };
}

/** Conditions the joint Gaussian (point p's prior mean m + A φ(s_p)): a latent value of prior mean `mean`, cross-covariances `c`, prior variance `prior`. */
function condition(C: Matrix, y: number[], s: number[], mean: number, c: number[], prior: number): { mean: number; variance: number } {
  const alpha = solve(C, Matrix.columnVector(y.map((v, p) => v - priorMean(s[p]!)))).to1DArray();
  const w = solve(C, Matrix.columnVector(c)).to1DArray();
  return { mean: mean + c.reduce((sum, ci, p) => sum + ci * alpha[p]!, 0), variance: prior - c.reduce((sum, ci, p) => sum + ci * w[p]!, 0) };
}

describe("FreezeThawModel against the same model as one dense Gaussian (closed form)", () => {
  const { C, y, owner, s } = jointGaussian(hyper);
  const model = new FreezeThawModel(dims, curves, hyper);
  const kernel = new Matern52Kernel(dims, { lengthscales: hyper.lengthscales, outputscale: 1 });
  /** Cov(y(x, s), y_p) without the own-curve term, and the prior variance of y(x, s) without k_t. */
  const crossTo = (x: Float64Array, sTarget: number, p: number): number =>
    (hyper.outputscale + hyper.amplitudeVariance * decayShape(sTarget, hyper) * decayShape(s[p]!, hyper)) * kernel.value(x, curves[owner[p]!]!.x);
  const latentPrior = (sTarget: number): number => hyper.outputscale + hyper.amplitudeVariance * decayShape(sTarget, hyper) ** 2;

  it("gives the marginal likelihood of every point", () => {
    const n = y.length;
    const residual = y.map((v, p) => v - priorMean(s[p]!));
    const alpha = solve(C, Matrix.columnVector(residual)).to1DArray();
    const quad = residual.reduce((sum, v, p) => sum + v * alpha[p]!, 0);
    const direct = -0.5 * quad - 0.5 * Math.log(determinant(C)) - (n / 2) * Math.log(2 * Math.PI);
    expect(model.logEvidence).toBeCloseTo(direct, 9);
  });

  it("predicts an observed curve at any budget, within and beyond its points", () => {
    for (const [j, target] of [[0, 1], [1, 1], [1, 0.5], [2, 0.15], [3, 1]] as const) {
      const c = y.map((_, p) => crossTo(curves[j]!.x, target, p) + (owner[p] === j ? decayKernel(s[p]!, target, hyper) : 0));
      const expected = condition(C, y, s, priorMean(target), c, latentPrior(target) + decayKernel(target, target, hyper));
      const got = model.predict(j, target);
      expect(got.mean).toBeCloseTo(expected.mean, 9);
      expect(got.variance).toBeCloseTo(expected.variance, 9);
    }
  });

  it("predicts a new configuration's curve and asymptote", () => {
    const x = Float64Array.of(0.5, 0.6);
    const c = y.map((_, p) => hyper.outputscale * kernel.value(x, curves[owner[p]!]!.x));
    const asymptote = condition(C, y, s, hyper.mean, c, hyper.outputscale);
    expect(model.asymptote(x).mean).toBeCloseTo(asymptote.mean, 9);
    expect(model.asymptote(x).variance).toBeCloseTo(asymptote.variance, 9);
    for (const target of [0.2, 1]) {
      const expected = condition(C, y, s, priorMean(target), y.map((_, p) => crossTo(x, target, p)), latentPrior(target) + decayKernel(target, target, hyper));
      const got = model.predict(x, target);
      expect(got.mean).toBeCloseTo(expected.mean, 9);
      expect(got.variance).toBeCloseTo(expected.variance, 9);
    }
  });

  it("answers in the curves' units whatever scale it standardises by", () => {
    const scale = { centre: 1.7, spread: 0.35 };
    // The same model on standardised values, in units where y' = (y − centre) / spread.
    const scaled = new FreezeThawModel(dims, curves, hyper, scale);
    const standardised = new FreezeThawModel(
      dims,
      curves.map((c) => ({ x: c.x, points: c.points.map(([si, yi]) => [si, (yi - scale.centre) / scale.spread] as const) })),
      hyper,
    );
    const a = scaled.predict(1, 1);
    const b = standardised.predict(1, 1);
    expect(a.mean).toBeCloseTo(scale.centre + scale.spread * b.mean, 12);
    expect(a.variance).toBeCloseTo(scale.spread ** 2 * b.variance, 12);
  });
});

describe("fitFreezeThaw", () => {
  /** A curve family with a known answer: asymptote (a − 0.3)² + 1, decay whose rate grows with b, so curves cross. */
  const truth = (a: number, b: number, s: number): number => (a - 0.3) ** 2 + 1 + (0.2 + 2 * b) * Math.exp(-(1 + 12 * b) * s);
  const budgets = [0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 1];

  it("ranks configurations by their final value from partial curves, where the early values rank them the other way (calibration is measured by the bench)", () => {
    const full: ObservedCurve[] = [];
    for (let i = 0; i < 12; i++) {
      const a = (i * 0.37) % 1;
      const b = (i * 0.61 + 0.1) % 1;
      full.push({ x: Float64Array.of(a, b), points: budgets.map((s) => [s, truth(a, b, s)] as const) });
    }
    // Fast (b high) and slow (b low) decays: early the slow one looks better, at the end the fast one is.
    const fast = { a: 0.3, b: 0.9 };
    const slow = { a: 0.55, b: 0.05 };
    expect(truth(fast.a, fast.b, 0.1)).toBeGreaterThan(truth(slow.a, slow.b, 0.1));
    expect(truth(fast.a, fast.b, 1)).toBeLessThan(truth(slow.a, slow.b, 1));
    const partial = (p: { a: number; b: number }): ObservedCurve => ({ x: Float64Array.of(p.a, p.b), points: budgets.slice(0, 3).map((s) => [s, truth(p.a, p.b, s)] as const) });
    const model = fitFreezeThaw(dims, [...full, partial(fast), partial(slow)]);
    const fastFinal = model.predict(full.length, 1);
    const slowFinal = model.predict(full.length + 1, 1);
    expect(fastFinal.mean).toBeLessThan(slowFinal.mean);
    // Each extrapolates along its decay: closer to its final value than half the distance its last point is from it.
    for (const [p, final] of [[fast, fastFinal], [slow, slowFinal]] as const) {
      const last = truth(p.a, p.b, budgets[2]!);
      expect(Math.abs(final.mean - truth(p.a, p.b, 1))).toBeLessThan(0.5 * Math.abs(last - truth(p.a, p.b, 1)));
    }
  });
});
