import { describe, expect, it } from "vitest";
import { lengthscalePriorScale, logPrior, NOISE_FLOOR, priorMode } from "../../src/gp/priors.js";
import { Rng } from "../../src/rng.js";
import { centralDifference } from "./helpers.js";

describe("GP hyperparameter priors", () => {
  it("is the sum of the lengthscale, Gamma(2, 1) outputscale and Gamma(1.1, 30) noise log-densities", () => {
    // d = 1 at ℓ = 2s, σ² = 1, σ_n² = 0.01, constants dropped:
    // −0.1(4 + 1/4) + (1·log 1 − 1) + (0.1·log 0.01 − 30·0.01).
    const s = lengthscalePriorScale(1);
    const theta = Float64Array.of(Math.log(2 * s), 0, Math.log(0.01));
    const expected = -0.1 * 4.25 - 1 + (0.1 * Math.log(0.01) - 0.3);
    expect(logPrior(theta)).toBeCloseTo(expected, 13);
  });

  it("has a gradient matching central differences", () => {
    const rng = new Rng(4);
    for (const d of [1, 3, 8]) {
      const theta = Float64Array.from({ length: d + 2 }, () => 2 * rng.normal());
      const grad = new Float64Array(d + 2);
      logPrior(theta, grad);
      for (let j = 0; j < d + 2; j++) {
        const numeric = centralDifference((t) => logPrior(t), theta, j, 1e-5);
        expect(Math.abs(grad[j]! - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
      }
    }
  });

  it("is maximised at priorMode: ℓ = s, σ² = 1, σ_n² = 1/300", () => {
    const theta = priorMode(5);
    expect(theta[0]).toBeCloseTo(Math.log(lengthscalePriorScale(5)), 14);
    expect(theta[5]).toBeCloseTo(0, 14);
    expect(theta[6]).toBeCloseTo(Math.log(0.1 / 30), 14);
    const grad = new Float64Array(7);
    const atMode = logPrior(theta, grad);
    for (const g of grad) expect(Math.abs(g)).toBeLessThan(1e-12);
    for (let j = 0; j < 7; j++) {
      for (const step of [-0.1, 0.1]) {
        const moved = theta.slice();
        moved[j]! += step;
        expect(logPrior(moved)).toBeLessThan(atMode);
      }
    }
  });

  it("lets the noise reach its floor for under a nat, but charges for explaining the data as noise", () => {
    const mode = priorMode(2);
    const atFloor = mode.slice();
    atFloor[3] = Math.log(NOISE_FLOOR);
    expect(logPrior(mode) - logPrior(atFloor)).toBeLessThan(1);
    const allNoise = mode.slice();
    allNoise[3] = 0; // σ_n² = 1, the whole variance of standardised targets
    expect(logPrior(mode) - logPrior(allNoise)).toBeGreaterThan(25);
  });
});
