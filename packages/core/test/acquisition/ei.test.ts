import { describe, expect, it } from "vitest";
import type { AcquisitionValue } from "../../src/acquisition/acquisition-value.js";
import { expectedImprovement } from "../../src/acquisition/ei.js";

function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

function fresh(): AcquisitionValue {
  return { value: Number.NaN, dMean: Number.NaN, dStd: Number.NaN };
}

/**
 * E[max(c - f, 0)] for f ~ N(mean, std²) by composite Simpson on [mean - 14·std, c],
 * with the density written out here so that the check shares no code with the
 * implementation. The integrand is smooth on that interval (the kink is at c).
 */
function eiByQuadrature(mean: number, std: number, c: number): number {
  const lo = mean - 14 * std;
  if (c <= lo) return 0;
  const n = 20_000;
  const step = (c - lo) / n;
  const integrand = (f: number): number => ((c - f) * Math.exp(-0.5 * ((f - mean) / std) ** 2)) / (std * Math.sqrt(2 * Math.PI));
  let sum = integrand(lo) + integrand(c);
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * integrand(lo + i * step);
  return (sum * step) / 3;
}

describe("expectedImprovement", () => {
  it.each([
    { mean: 0.3, std: 0.5, best: 0.5, xi: 0.05 }, // z = 0.3
    { mean: 2, std: 0.7, best: 0, xi: 0 }, // z = -2.86, the tail form
    { mean: -1, std: 2, best: 0.2, xi: 0.1 }, // z = 0.55
    { mean: 0, std: 1e-3, best: 0.004, xi: 0 }, // z = 4, small std
  ])("matches direct integration of E[max(best - xi - f, 0)] at %o", ({ mean, std, best, xi }) => {
    const ei = expectedImprovement(mean, std, best, xi, fresh()).value;
    expect(relErr(ei, eiByQuadrature(mean, std, best - xi))).toBeLessThan(1e-10);
  });

  // mpmath 1.4.1, 100 digits: std*(npdf(z) + z*ncdf(z)) from the exact float64 inputs.
  it.each([
    [-0.5, 0.7400000000322795],
    [0, 0.241311622250479],
    [0.2, 0.0723994491580205],
    [0.5, 0.0008543152607980459],
    [1.5, 4.1204267645066146e-26],
  ])("with best = 0.25, xi = 0.01, std = 0.125 at mean = %d matches mpmath to 1e-12", (mean, expected) => {
    // h(z) = φ(z) + zΦ(z) cancels for z < -1 (1e-14 lost at z = -10 if summed directly); the tail form keeps it.
    expect(relErr(expectedImprovement(mean, 0.125, 0.25, 0.01, fresh()).value, expected)).toBeLessThan(1e-12);
  });

  // mpmath, 100 digits: h(z) = npdf(z) + z*ncdf(z), the EI at std = 1, mean = -z, best = xi = 0 (z exact).
  it.each([
    [-2, 0.008490702616829637],
    [-3.5, 5.848091842142244e-5],
    [-6, 1.5635697959709664e-10],
    [-10, 7.474560254589328e-25],
    [-20, 1.3700124947295798e-90],
    [-30, 1.631956734091401e-199],
    [-37, 1.5451991905122024e-301],
  ])("in the tail, at z = %d, matches mpmath to 1e-14 relative", (z, expected) => {
    // φ + zΦ summed directly would lose about z² ulps here (2e-13 at z = -30).
    expect(relErr(expectedImprovement(-z, 1, 0, 0, fresh()).value, expected)).toBeLessThan(1e-14);
  });

  it("underflows to exactly 0 far below the incumbent, with zero slopes", () => {
    const out = expectedImprovement(40, 1, 0, 0, fresh());
    expect(out.value).toBe(0);
    expect(out.dMean).toBe(-0);
    expect(out.dStd).toBe(0);
  });

  it("tends to best - xi - mean when the posterior is nearly certain of an improvement", () => {
    expect(relErr(expectedImprovement(-3, 1e-6, 1, 0.5, fresh()).value, 3.5)).toBeLessThan(1e-15);
  });

  it("has dMean = -Φ(z) and dStd = φ(z) at z = 1 (hand values Φ(1) = 0.84134..., φ(1) = 0.24197...)", () => {
    const out = expectedImprovement(-1, 2, 1, 0, fresh());
    expect(relErr(out.dMean, -0.8413447460685429)).toBeLessThan(1e-15);
    expect(relErr(out.dStd, 0.24197072451914334)).toBeLessThan(1e-15);
    // 2·(φ(1) + Φ(1)), mpmath.
    expect(relErr(out.value, 2 * 1.0833154705876864)).toBeLessThan(1e-15);
  });
});
