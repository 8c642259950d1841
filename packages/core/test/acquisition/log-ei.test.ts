import { describe, expect, it } from "vitest";
import type { AcquisitionValue } from "../../src/acquisition/acquisition-value.js";
import { eiTailRatio } from "../../src/acquisition/ei-tail.js";
import { expectedImprovement } from "../../src/acquisition/ei.js";
import { logExpectedImprovement } from "../../src/acquisition/log-ei.js";

function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

function fresh(): AcquisitionValue {
  return { value: Number.NaN, dMean: Number.NaN, dStd: Number.NaN };
}

// mpmath 1.4.1, 100 digits: [z, log h(z), h(z)] with h(z) = npdf(z) + z*ncdf(z),
// i.e. LogEI and EI for best = 0, xi = 0, std = 1, mean = -z. h is 0 in float64
// below z ≈ -38.5 and subnormal at z = -38.
const UNIT: readonly (readonly [number, number, number])[] = [
  [-1000, -500014.73445209116, 0],
  [-200, -20011.515648259738, 0],
  [-40, -808.29856835662, 0],
  [-38, -730.1961834021138, 7.58275e-318],
  [-10, -55.55312203612235, 7.474560254589328e-25],
  [-5, -16.74430116266099, 5.346165533832815e-8],
  [-1, -2.4851210257126413, 0.0833154705876863],
  [0, -0.9189385332046728, 0.3989422804014327],
  [1, 0.08002621884930694, 1.0833154705876864],
  [5, 1.6094379231264313, 5.0000000534616555],
  [10, 2.302585092994046, 10.0],
  [30, 3.4011973816621555, 30.0],
];

// mpmath, 100 digits, from the exact float64 inputs best = 0.25, xi = 0.01,
// std = 0.125: [mean, log(std*h(z)), std*h(z)], z = (best - xi - mean)/std.
const GENERAL: readonly (readonly [number, number, number])[] = [
  [-0.5, -0.3011050927403007, 0.7400000000322795], // z = 5.92
  [0, -1.4216661423619497, 0.241311622250479], // z = 1.92
  [0.2, -2.6255565879340437, 0.0723994491580205], // z = 0.32
  [0.5, -7.065210274454551, 0.0008543152607980459], // z = -2.08
  [1.5, -58.451255676230055, 4.1204267645066146e-26], // z = -10.08
  [5, -735.3230223660013, 4.5004e-320], // z = -38.08
  [30, -28354.98684650168, 0], // z = -238.08
];

describe("logExpectedImprovement", () => {
  it.each(UNIT)("at z = %d matches mpmath's log h(z) to 1e-14 relative", (z, logH) => {
    const { value } = logExpectedImprovement(-z, 1, 0, 0, fresh());
    expect(Number.isFinite(value)).toBe(true);
    expect(relErr(value, logH)).toBeLessThan(1e-14);
  });

  it.each(GENERAL)("with std = 0.125, xi = 0.01 at mean = %d matches mpmath to 1e-13 relative", (mean, logEi) => {
    // z carries the rounding of best - xi - mean, amplified by |z·d log h/dz| ≤ 2 relative to log h.
    expect(relErr(logExpectedImprovement(mean, 0.125, 0.25, 0.01, fresh()).value, logEi)).toBeLessThan(1e-13);
  });

  it("stays finite and accurate exactly where EI underflows to 0", () => {
    for (const [z, logH, h] of UNIT) {
      if (h !== 0) continue;
      expect(expectedImprovement(-z, 1, 0, 0, fresh()).value).toBe(0);
      expect(relErr(logExpectedImprovement(-z, 1, 0, 0, fresh()).value, logH)).toBeLessThan(1e-14);
    }
  });

  it("exp(LogEI) equals EI to 1e-12 relative wherever EI is not tiny", () => {
    for (const [mean, , ei] of GENERAL) {
      if (ei < 1e-300) continue;
      const logEi = logExpectedImprovement(mean, 0.125, 0.25, 0.01, fresh()).value;
      const plain = expectedImprovement(mean, 0.125, 0.25, 0.01, fresh()).value;
      expect(relErr(Math.exp(logEi), plain)).toBeLessThan(1e-12);
    }
  });

  it("is strictly decreasing in the mean all the way down to z = -1000", () => {
    let previous = Infinity;
    for (let z = 3; z >= -1000; z -= 0.5) {
      const { value, dMean } = logExpectedImprovement(-z, 1, 0, 0, fresh());
      expect(value).toBeLessThan(previous);
      expect(dMean).toBeLessThan(0);
      previous = value;
    }
  });

  it("is continuous across its branch points z = -1 and t = 4", () => {
    for (const z of [-1, -4]) {
      const above = logExpectedImprovement(-(z + 1e-12), 1, 0, 0, fresh());
      const below = logExpectedImprovement(-(z - 1e-12), 1, 0, 0, fresh());
      expect(relErr(above.value, below.value)).toBeLessThan(1e-11);
      expect(relErr(above.dMean, below.dMean)).toBeLessThan(1e-10);
      expect(relErr(above.dStd, below.dStd)).toBeLessThan(1e-10);
    }
  });
});

describe("eiTailRatio", () => {
  it("matches mpmath's 1 - t·Φ(-t)/φ(t) on both sides of the continued-fraction switch", () => {
    // mpmath, 80 digits.
    const reference: readonly (readonly [number, number])[] = [
      [1, 0.34432045758120156],
      [3, 0.08622910386969011],
      [4, 0.053390468345757315],
      [10, 0.009714035282680786],
      [1000, 9.99997000015e-7],
    ];
    for (const [t, g] of reference) expect(relErr(eiTailRatio(t), g)).toBeLessThan(1e-14);
  });
});
