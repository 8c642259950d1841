import { describe, expect, it } from "vitest";
import { LENGTHSCALE_PRIOR_STD, lengthscalePriorMean, logPrior, priorMode } from "../../src/gp/priors.js";
import { Rng } from "../../src/rng.js";
import { centralDifference } from "./helpers.js";

describe("GP hyperparameter priors", () => {
  it("centres log ℓ on √2 + ½ ln d with std √3 (Hvarfner et al. 2024)", () => {
    expect(lengthscalePriorMean(1)).toBeCloseTo(Math.SQRT2, 15);
    expect(lengthscalePriorMean(10)).toBeCloseTo(Math.SQRT2 + 0.5 * Math.log(10), 15);
    expect(LENGTHSCALE_PRIOR_STD).toBeCloseTo(Math.sqrt(3), 15);
  });

  it("is the sum of the three log-normal log-densities of ℓ, σ², σ_n²", () => {
    // d = 1, θ = (μ_ℓ + √3, 1, −4): z-scores 1, 1, 0 → −½ − ½ − 0; the log-normal
    // density of x = e^θ carries 1/(x·s·√(2π)), hence −Σθ − log √3 − (3/2) log 2π.
    const theta = Float64Array.of(lengthscalePriorMean(1) + Math.sqrt(3), 1, -4);
    const expected = -1 - (theta[0]! + 1 - 4) - 1.5 * Math.log(2 * Math.PI) - Math.log(Math.sqrt(3));
    expect(logPrior(theta)).toBeCloseTo(expected, 13);
  });

  it("has a gradient matching central differences", () => {
    const rng = new Rng(4);
    for (const d of [1, 3, 8]) {
      const theta = Float64Array.from({ length: d + 2 }, () => 4 * rng.normal());
      const grad = new Float64Array(d + 2);
      logPrior(theta, grad);
      for (let j = 0; j < d + 2; j++) {
        const numeric = centralDifference((t) => logPrior(t), theta, j, 1e-5);
        expect(Math.abs(grad[j]! - numeric)).toBeLessThan(1e-7 * Math.max(1, Math.abs(numeric)));
      }
    }
  });

  it("is maximised at priorMode, the log-normal modes exp(μ − s²)", () => {
    const theta = priorMode(5);
    expect(theta[0]).toBeCloseTo(lengthscalePriorMean(5) - 3, 14);
    expect(theta[5]).toBeCloseTo(-1, 14);
    expect(theta[6]).toBeCloseTo(-5, 14);
    const grad = new Float64Array(7);
    const atMode = logPrior(theta, grad);
    for (const g of grad) expect(Math.abs(g)).toBeLessThan(1e-15);
    for (let j = 0; j < 7; j++) {
      for (const step of [-0.1, 0.1]) {
        const moved = theta.slice();
        moved[j]! += step;
        expect(logPrior(moved)).toBeLessThan(atMode);
      }
    }
  });
});
