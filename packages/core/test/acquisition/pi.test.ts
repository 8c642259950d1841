import { describe, expect, it } from "vitest";
import type { AcquisitionValue } from "../../src/acquisition/acquisition-value.js";
import { logProbabilityOfImprovement, probabilityOfImprovement } from "../../src/acquisition/pi.js";

function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

function fresh(): AcquisitionValue {
  return { value: Number.NaN, dMean: Number.NaN, dStd: Number.NaN };
}

// mpmath 1.4.1, 100 digits: Φ(1), φ(1), log Φ(1), φ(1)/Φ(1), log Φ(-1000), φ/Φ at -1000.
const CDF_1 = 0.8413447460685429;
const PDF_1 = 0.24197072451914334;
const LOG_CDF_1 = -0.17275377902344988;
const HAZARD_1 = 0.2875999709391784;
const LOG_CDF_M1000 = -500007.82669481216;
const HAZARD_M1000 = 1000.000999998;

describe("probabilityOfImprovement", () => {
  it("is Φ(z) with z = (best - xi - mean)/std, and its slopes are -φ/std and -zφ/std", () => {
    // best 1.5, xi 0.5, mean -1, std 2: z = (1.5 - 0.5 + 1)/2 = 1.
    const out = probabilityOfImprovement(-1, 2, 1.5, 0.5, fresh());
    expect(relErr(out.value, CDF_1)).toBeLessThan(1e-15);
    expect(relErr(out.dMean, -PDF_1 / 2)).toBeLessThan(1e-15);
    expect(relErr(out.dStd, -PDF_1 / 2)).toBeLessThan(1e-15);
  });

  it("is 1/2 at the margin, with no pull on std", () => {
    const out = probabilityOfImprovement(0.75, 0.3, 1, 0.25, fresh());
    expect(out.value).toBe(0.5);
    expect(out.dStd).toBe(-0);
  });

  it("rewards std when the mean is worse than best - xi (z < 0)", () => {
    expect(probabilityOfImprovement(2, 1, 0, 0, fresh()).dStd).toBeGreaterThan(0);
  });
});

describe("logProbabilityOfImprovement", () => {
  it("is log Φ(z) with slopes -λ/std and -zλ/std, λ = φ/Φ", () => {
    const out = logProbabilityOfImprovement(-1, 2, 1.5, 0.5, fresh());
    expect(relErr(out.value, LOG_CDF_1)).toBeLessThan(1e-15);
    expect(relErr(out.dMean, -HAZARD_1 / 2)).toBeLessThan(1e-15);
    expect(relErr(out.dStd, -HAZARD_1 / 2)).toBeLessThan(1e-15);
  });

  it("stays finite at z = -1000, where PI is exactly 0", () => {
    expect(probabilityOfImprovement(1000, 1, 0, 0, fresh()).value).toBe(0);
    const out = logProbabilityOfImprovement(1000, 1, 0, 0, fresh());
    expect(relErr(out.value, LOG_CDF_M1000)).toBeLessThan(1e-14);
    expect(relErr(out.dMean, -HAZARD_M1000)).toBeLessThan(1e-14);
    expect(relErr(out.dStd, 1000 * HAZARD_M1000)).toBeLessThan(1e-14);
  });
});
