import jStat from "jstat";
import { describe, expect, it } from "vitest";
import { fitGP } from "../../src/gp/fit.js";
import { AUGMENTATION, chebyshevScalarize, drawChebyshevWeights } from "../../src/multi-objective/parego.js";
import { scalarizedLogEI } from "../../src/multi-objective/scalarized-acquisition.js";
import { Rng } from "../../src/rng.js";
import { float } from "../../src/space/param-builders.js";
import { SearchSpace } from "../../src/space/search-space.js";

const space = SearchSpace.from({ a: float(0, 1), b: float(0, 1) });
const rng = new Rng(3);
const X = Array.from({ length: 14 }, () => Float64Array.of(rng.uniform(), rng.uniform()));
const f1 = (x: Float64Array) => x[0]! + 0.3 * x[1]!;
const f2 = (x: Float64Array) => 1 - x[0]! + 0.3 * x[1]! ** 2;
const gp1 = fitGP(X, Float64Array.from(X, f1), { dims: space.dims });
const gp2 = fitGP(X, Float64Array.from(X, f2), { dims: space.dims });
// Measured with noise, so the posterior stays unsure enough for EI to be far from 0.
const noisy = fitGP(X, Float64Array.from(X, (x, i) => f1(x) + 0.1 * Math.sin(7 * i)), { dims: space.dims });

describe("drawChebyshevWeights and chebyshevScalarize", () => {
  it("draw weights on the simplex and scalarise as max + ρ·sum of the normalised objectives", () => {
    const observed = [Float64Array.of(0, 10), Float64Array.of(2, 30)];
    const w = drawChebyshevWeights(observed, new Rng(1));
    expect(w.lambda.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(w.low).toEqual([0, 10]);
    expect(w.span).toEqual([2, 20]);
    const [l1, l2] = w.lambda as [number, number];
    const v = chebyshevScalarize([1, 15], w);
    expect(v).toBeCloseTo(Math.max(l1 * 0.5, l2 * 0.25) + AUGMENTATION * (l1 * 0.5 + l2 * 0.25), 12);
  });
});

describe("scalarizedLogEI", () => {
  it("with one objective, agrees with closed-form log EI of the scaled posterior, within Monte Carlo error", () => {
    // One objective, λ = 1: s = (1 + ρ)(f − low)/span, f Gaussian where the output transform is linear.
    const weights = { lambda: [1], low: [0], span: [1.3] };
    for (const x of [Float64Array.of(0.2, 0.5), Float64Array.of(0.5, 0.5)]) {
      const { mean, variance } = noisy.predict([x]);
      const scale = (1 + AUGMENTATION) / 1.3;
      const m = scale * noisy.fromModelUnits(mean[0]!);
      const sd = (scale * (noisy.fromModelUnits(mean[0]! + Math.sqrt(variance[0]!)) - noisy.fromModelUnits(mean[0]! - Math.sqrt(variance[0]!)))) / 2;
      // An incumbent a little better than the point's mean: EI is then well away from 0.
      const best = m - 0.3 * sd;
      const z = (best - m) / sd;
      const closed = Math.log((best - m) * jStat.normal.cdf(z, 0, 1) + sd * jStat.normal.pdf(z, 0, 1));
      const acquisition = scalarizedLogEI([noisy], weights, best, new Rng(9));
      expect(acquisition.scoreAll([x])[0]).toBeCloseTo(closed, 0);
      expect(Math.abs(acquisition.scoreAll([x])[0]! - closed)).toBeLessThan(0.2);
    }
  });

  it("has a gradient that matches central finite differences of its value", () => {
    const weights = drawChebyshevWeights(X.map((x) => Float64Array.of(f1(x), f2(x))), new Rng(4));
    const best = Math.min(...X.map((x) => chebyshevScalarize([f1(x), f2(x)], weights)));
    const acquisition = scalarizedLogEI([gp1, gp2], weights, best, new Rng(5));
    // The models interpolate these noise-free objectives, so log EI is deep in its
    // tail here, steep and curved: a step of 1e-6 already carries a truncation
    // error of a few percent at (0.7, 0.6).
    const h = 1e-7;
    for (const x of [Float64Array.of(0.3, 0.2), Float64Array.of(0.7, 0.6), Float64Array.of(0.5, 0.05)]) {
      const grad = new Float64Array(2);
      const value = acquisition.valueAndGradient(x, grad);
      expect(value).toBeCloseTo(acquisition.scoreAll([x])[0]!, 10);
      for (let j = 0; j < 2; j++) {
        const up = Float64Array.from(x);
        const down = Float64Array.from(x);
        up[j]! += h;
        down[j]! -= h;
        const numeric = (acquisition.scoreAll([up])[0]! - acquisition.scoreAll([down])[0]!) / (2 * h);
        expect(Math.abs(grad[j]! - numeric)).toBeLessThan(1e-4 * Math.max(1, Math.abs(numeric)));
      }
    }
  });
});
