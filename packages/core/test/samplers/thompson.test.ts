import { describe, expect, it } from "vitest";
import { normalCdf } from "../../src/acquisition/normal.js";
import { conditionGP } from "../../src/gp/gaussian-process.js";
import { OutputTransform } from "../../src/gp/output-transform.js";
import { Rng } from "../../src/rng.js";
import { sampleMultivariateNormal, thompsonArgmin, thompsonCandidates } from "../../src/samplers/thompson.js";
import { categoricalDim, categoryCode, continuousDim } from "../gp/helpers.js";

describe("sampleMultivariateNormal", () => {
  it("is mean + L z with the closed-form 2 × 2 Cholesky factor", () => {
    const [a, b, c] = [2.5, -0.7, 0.9];
    const mean = Float64Array.of(1, -3);
    const draw = sampleMultivariateNormal(mean, Float64Array.of(a, b, b, c), new Rng(5));
    const twin = new Rng(5);
    const z0 = twin.normal();
    const z1 = twin.normal();
    expect(draw[0]).toBeCloseTo(1 + Math.sqrt(a) * z0, 12);
    expect(draw[1]).toBeCloseTo(-3 + (b / Math.sqrt(a)) * z0 + Math.sqrt(c - (b * b) / a) * z1, 12);
  });

  it("has the covariance it is given (20 000 draws, 3 × 3)", () => {
    const covariance = Float64Array.of(1, 0.6, -0.3, 0.6, 2, 0.4, -0.3, 0.4, 0.5);
    const rng = new Rng(9);
    const count = 20000;
    const sums = new Float64Array(9);
    for (let t = 0; t < count; t++) {
      const x = sampleMultivariateNormal(new Float64Array(3), covariance, rng);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) sums[i * 3 + j]! += x[i]! * x[j]!;
    }
    // Standard error of a product moment: √((σ_ii σ_jj + σ_ij²)/count) < 0.015 here.
    for (let k = 0; k < 9; k++) expect(Math.abs(sums[k]! / count - covariance[k]!)).toBeLessThan(0.05);
  });

  it("draws the same value twice for a perfectly correlated pair (a singular covariance, jittered)", () => {
    const x = sampleMultivariateNormal(Float64Array.of(0, 0), Float64Array.of(1, 1, 1, 1), new Rng(2));
    expect(Math.abs(x[0]! - x[1]!)).toBeLessThan(1e-3);
  });
});

describe("thompsonArgmin", () => {
  it("picks each of two candidates with the closed-form probability Φ((μ_b − μ_a)/√(σ_a² + σ_b² − 2σ_ab))", () => {
    const dims = [continuousDim("x")];
    const X = [0.1, 0.35, 0.8, 0.95].map((v) => Float64Array.of(v));
    const y = Float64Array.of(0.2, -0.4, -0.35, 0.5);
    const transform = OutputTransform.fit(y);
    const gp = conditionGP(X, transform.forwardAll(y), dims, { lengthscales: Float64Array.of(0.25), outputscale: 1, noise: 1e-4 }, transform);
    const candidates = [Float64Array.of(0.5), Float64Array.of(0.65)];
    const { mean, covariance } = gp.posteriorCovariance(candidates);
    const expected = normalCdf((mean[1]! - mean[0]!) / Math.sqrt(covariance[0]! + covariance[3]! - 2 * covariance[1]!));
    expect(expected).toBeGreaterThan(0.2);
    expect(expected).toBeLessThan(0.8);
    const rng = new Rng(3);
    const count = 4000;
    let first = 0;
    for (let t = 0; t < count; t++) if (thompsonArgmin(gp, candidates, rng) === 0) first++;
    // Binomial standard error ≤ 0.008.
    expect(Math.abs(first / count - expected)).toBeLessThan(0.03);
  });
});

describe("thompsonCandidates", () => {
  const dims = [continuousDim("a"), categoricalDim("c", 3), continuousDim("b")];
  const snap = (u: Float64Array): Float64Array => Float64Array.from(u, (v, j) => (j === 1 ? categoryCode(Math.min(2, Math.floor(v * 3)), 3) : v));
  const incumbent = Float64Array.of(0.4, categoryCode(1, 3), 0.7);
  const candidates = thompsonCandidates(dims, Float64Array.of(0.2, 1, 5), [incumbent], snap, new Rng(1));

  it("holds the Sobol points and 64 local ones per incumbent, distinct, in the cube", () => {
    expect(candidates.length).toBe(256 + 64);
    expect(new Set(candidates.map((x) => x.join(","))).size).toBe(candidates.length);
    for (const x of candidates) for (const v of x) expect(v >= 0 && v <= 1).toBe(true);
  });

  it("steps locally within a third of a lengthscale (capped at 1), at scales down to a hundredth", () => {
    const local = candidates.slice(256);
    const steps = local.map((x) => Math.abs(x[0]! - 0.4) / 0.2);
    // Steps are s·|z| with s ≤ 10^−0.5: beyond 5 such standard deviations is a miss.
    for (const x of local) {
      expect(Math.abs(x[0]! - 0.4)).toBeLessThan(5 * 0.2 * 10 ** -0.5);
      expect(Math.abs(x[2]! - 0.7)).toBeLessThan(5 * 1 * 10 ** -0.5);
    }
    expect(steps.filter((s) => s < 0.02).length).toBeGreaterThan(3);
    // Most keep the incumbent's category (redrawn with probability 0.1, to any of 3).
    expect(local.filter((x) => x[1] === incumbent[1]).length).toBeGreaterThan(50);
  });
});

describe("thompsonCandidates above 200 training points", () => {
  it("draws half as many", () => {
    const dims = [continuousDim("a"), continuousDim("b")];
    const incumbents = [Float64Array.of(0.2, 0.3), Float64Array.of(0.6, 0.1), Float64Array.of(0.9, 0.9)];
    const count = (n: number): number => thompsonCandidates(dims, Float64Array.of(0.3, 0.3), incumbents, (u) => u, new Rng(4), n).length;
    expect(count(200)).toBe(256 + 3 * 64);
    expect(count(201)).toBe(128 + 3 * 32);
  });
});
