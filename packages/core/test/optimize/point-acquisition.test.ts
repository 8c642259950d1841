import jStat from "jstat";
import { describe, expect, it } from "vitest";
import { createAcquisition } from "../../src/acquisition/acquisition.js";
import { fitGP } from "../../src/gp/fit.js";
import { constrainedAcquisition, gpAcquisition } from "../../src/optimize/point-acquisition.js";
import { Rng } from "../../src/rng.js";
import { float } from "../../src/space/param-builders.js";
import { SearchSpace } from "../../src/space/search-space.js";

const space = SearchSpace.from({ a: float(0, 1), b: float(0, 1) });
const rng = new Rng(11);
const X = Array.from({ length: 12 }, () => Float64Array.of(rng.uniform(), rng.uniform()));
const objective = fitGP(X, Float64Array.from(X, (x) => (x[0]! - 0.3) ** 2 + (x[1]! - 0.6) ** 2), { dims: space.dims });
// Feasible when a + b ≤ 1 (memory grows with both), and when a ≥ 0.1; measured with some noise,
// so the models stay unsure near the bounds.
const noise = (i: number): number => 0.05 * Math.sin(7 * i);
const memory = fitGP(X, Float64Array.from(X, (x, i) => x[0]! + x[1]! - 1 + noise(i)), { dims: space.dims });
const floor = fitGP(X, Float64Array.from(X, (x, i) => 0.1 - x[0]! + noise(i + 3)), { dims: space.dims });
const best = objective.bestModel;
const logEI = createAcquisition("logEI", { best });

/** log P(c ≤ 0) of a constraint GP at x, by hand: Φ((t − μ)/σ) with t the bound 0 in model units. */
function logFeasible(gp: typeof memory, x: Float64Array): number {
  const { mean, variance } = gp.predict([x]);
  return Math.log(jStat.normal.cdf((gp.toModelUnits(0) - mean[0]!) / Math.sqrt(variance[0]!), 0, 1));
}

/** log EI in closed form: log((best − μ)Φ(z) + σφ(z)), z = (best − μ)/σ. */
function logExpectedImprovement(x: Float64Array): number {
  const { mean, variance } = objective.predict([x]);
  const std = Math.sqrt(variance[0]!);
  const z = (best - mean[0]!) / std;
  return Math.log((best - mean[0]!) * jStat.normal.cdf(z, 0, 1) + std * jStat.normal.pdf(z, 0, 1));
}

describe("constrainedAcquisition", () => {
  // Near the optimum and feasible; just past the memory bound; just below the floor on a.
  const points = [Float64Array.of(0.3, 0.55), Float64Array.of(0.5, 0.56), Float64Array.of(0.06, 0.5)];

  it("is LogEI plus the log probability that each constraint holds, as computed by hand", () => {
    const target = constrainedAcquisition({ gp: objective, acquisition: logEI }, [{ gp: memory }, { gp: floor }]);
    const scores = target.scoreAll(points);
    points.forEach((x, i) => {
      const expected = logExpectedImprovement(x) + logFeasible(memory, x) + logFeasible(floor, x);
      expect(scores[i]).toBeCloseTo(expected, 8);
    });
    // The infeasible points score below the feasible one near the optimum.
    expect(scores[0]).toBeGreaterThan(scores[1]!);
    expect(scores[0]).toBeGreaterThan(scores[2]!);
  });

  it("without an objective term, is the log probability of feasibility alone", () => {
    const target = constrainedAcquisition(undefined, [{ gp: memory }]);
    points.forEach((x, i) => expect(target.scoreAll(points)[i]).toBeCloseTo(logFeasible(memory, x), 10));
  });

  it("without constraints, equals the plain acquisition of the objective", () => {
    const plain = gpAcquisition(objective, logEI).scoreAll(points);
    const constrained = constrainedAcquisition({ gp: objective, acquisition: logEI }, []).scoreAll(points);
    expect(Array.from(constrained)).toEqual(Array.from(plain));
  });

  it("has a gradient that matches central finite differences, and agrees with scoreAll", () => {
    const target = constrainedAcquisition({ gp: objective, acquisition: logEI }, [{ gp: memory }, { gp: floor }]);
    const h = 1e-6;
    for (const x of points) {
      const grad = new Float64Array(2);
      const value = target.valueAndGradient(x, grad);
      expect(value).toBeCloseTo(target.scoreAll([x])[0]!, 10);
      for (let j = 0; j < 2; j++) {
        const up = Float64Array.from(x);
        const down = Float64Array.from(x);
        up[j]! += h;
        down[j]! -= h;
        const numeric = (target.scoreAll([up])[0]! - target.scoreAll([down])[0]!) / (2 * h);
        expect(Math.abs(grad[j]! - numeric)).toBeLessThan(1e-5 * Math.max(1, Math.abs(numeric)));
      }
    }
  });
});
