import { describe, expect, it } from "vitest";
import {
  ACQUISITION_NAMES,
  MIN_STD,
  createAcquisition,
  type AcquisitionName,
  type AcquisitionValue,
} from "../../src/acquisition/acquisition.js";
import { InvalidArgumentError } from "../../src/errors.js";

function expectInvalid(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidArgumentError);
  const error = caught as InvalidArgumentError;
  expect(error.code).toBe("INVALID_ARGUMENT");
  for (const fragment of fragments) expect(error.message).toContain(fragment);
}

describe("createAcquisition", () => {
  it("builds each named acquisition", () => {
    expect([...ACQUISITION_NAMES]).toEqual(["logEI", "EI", "PI", "logPI", "UCB"]);
    for (const name of ACQUISITION_NAMES) expect(createAcquisition(name, { best: 0 }).name).toBe(name);
  });

  it("rejects an unknown name and lists the valid ones", () => {
    expectInvalid(() => createAcquisition("qEI" as AcquisitionName, { best: 0 }), '"logEI", "EI", "PI", "logPI", "UCB"', '"qEI"');
  });

  it("rejects a non-finite best, a negative or non-finite xi, and a negative or non-finite kappa", () => {
    expectInvalid(() => createAcquisition("EI", { best: Number.NaN }), "best must be a finite number", "NaN");
    expectInvalid(() => createAcquisition("EI", { best: Infinity }), "best must be a finite number", "Infinity");
    expectInvalid(() => createAcquisition("EI", { best: 0, xi: -0.1 }), "xi >= 0 must hold", "-0.1");
    expectInvalid(() => createAcquisition("PI", { best: 0, xi: Number.NaN }), "xi >= 0 must hold", "NaN");
    expectInvalid(() => createAcquisition("UCB", { best: 0, kappa: -1 }), "kappa >= 0 must hold", "-1");
    expectInvalid(() => createAcquisition("UCB", { best: 0, kappa: Infinity }), "kappa >= 0 must hold", "Infinity");
  });

  it("defaults xi to 0 and kappa to 2", () => {
    const withDefault = createAcquisition("EI", { best: 0.5 }).evaluate(0.2, 0.3).value;
    expect(createAcquisition("EI", { best: 0.5, xi: 0 }).evaluate(0.2, 0.3).value).toBe(withDefault);
    expect(createAcquisition("EI", { best: 0.5, xi: 0.1 }).evaluate(0.2, 0.3).value).toBeLessThan(withDefault);
    expect(createAcquisition("UCB", { best: 0 }).evaluate(1, 0.75).value).toBe(0.5);
  });

  it("writes into the given out object and returns it, or allocates a fresh one", () => {
    const acquisition = createAcquisition("logEI", { best: 0 });
    const out: AcquisitionValue = { value: 0, dMean: 0, dStd: 0 };
    expect(acquisition.evaluate(0.1, 1, out)).toBe(out);
    expect(out.value).toBeLessThan(0);
    const first = acquisition.evaluate(0.1, 1);
    expect(acquisition.evaluate(0.1, 1)).not.toBe(first);
  });
});

describe("the std floor", () => {
  it("evaluates a std below MIN_STD (0 and negative rounding noise included) at MIN_STD, with dStd = 0", () => {
    for (const name of ACQUISITION_NAMES) {
      const acquisition = createAcquisition(name, { best: 0.3, xi: 0.01 });
      const atFloor = acquisition.evaluate(0.5, MIN_STD);
      for (const std of [0, 1e-20, -1e-15]) {
        const out = acquisition.evaluate(0.5, std);
        expect(out.value).toBe(atFloor.value);
        expect(out.dMean).toBe(atFloor.dMean);
        expect(out.dStd).toBe(0);
      }
    }
  });

  it("gives the noiseless limits at a duplicate point: EI = max(best - xi - mean, 0), PI = 0 or 1, LogEI finite", () => {
    expect(createAcquisition("EI", { best: 1, xi: 0.25 }).evaluate(0.5, 0).value).toBeCloseTo(0.25, 14);
    expect(createAcquisition("EI", { best: 1 }).evaluate(1.5, 0).value).toBe(0);
    expect(createAcquisition("PI", { best: 1 }).evaluate(0.5, 0).value).toBe(1);
    expect(createAcquisition("PI", { best: 1 }).evaluate(1.5, 0).value).toBe(0);
    // z = -0.5e12: log φ(z) ≈ -1.25e23, finite.
    const logEi = createAcquisition("logEI", { best: 1 }).evaluate(1.5, 0).value;
    expect(Number.isFinite(logEi)).toBe(true);
    expect(logEi).toBeLessThan(-1e23);
  });

  it("lets a NaN std through as NaN instead of flooring it", () => {
    for (const name of ["logEI", "EI", "PI", "logPI"] as const) {
      expect(createAcquisition(name, { best: 0 }).evaluate(0, Number.NaN).value).toBeNaN();
    }
  });
});

describe("analytic derivatives", () => {
  // z from the deep tail (LogEI's tail form, continued fraction beyond t = 4)
  // through both sides of each branch point to far above the incumbent; std over
  // six orders of magnitude.
  const Z = [-1000, -200, -40, -10, -5, -4.01, -3.99, -1.01, -0.99, -0.3, 0, 0.5, 2, 10, 30];
  const STD = [1e-3, 0.1, 1, 7];
  const best = 0.4;
  const xi = 0.05;

  it.each(ACQUISITION_NAMES)("%s: dMean and dStd match central differences over a grid of (mean, std)", (name) => {
    const acquisition = createAcquisition(name, { best, xi, kappa: 1.5 });
    const value = (mean: number, std: number): number => acquisition.evaluate(mean, std).value;
    for (const std of STD) {
      for (const z of Z) {
        const mean = best - xi - z * std;
        const { value: f, dMean, dStd } = acquisition.evaluate(mean, std);
        // Steps that move z by 1e-5 (a step in std moves z by z·hStd/std); a central
        // difference then has relative truncation error ~(z·1e-5)² ≤ 1e-6 for |z| ≤ 100
        // where the functions curve (further out log φ is a quadratic) and rounding
        // error ~eps·|f|/step, which the tolerance allows.
        const hMean = 1e-5 * std;
        const hStd = (1e-5 * std) / Math.max(1, Math.abs(z));
        const fdMean = (value(mean + hMean, std) - value(mean - hMean, std)) / (2 * hMean);
        const fdStd = (value(mean, std + hStd) - value(mean, std - hStd)) / (2 * hStd);
        // LogEI adds log std to log h, and the two may cancel (log h(10) + log 0.1 ≈ 0),
        // so its rounding scales with the terms rather than with their sum.
        const scale = Math.abs(f) + (name === "logEI" ? Math.abs(Math.log(std)) : 0);
        const rounding = (step: number): number => (8 * Number.EPSILON * scale) / step;
        const context = `${name} at z=${z}, std=${std}`;
        expect(Math.abs(fdMean - dMean), context).toBeLessThanOrEqual(1e-6 * Math.abs(dMean) + rounding(hMean));
        expect(Math.abs(fdStd - dStd), context).toBeLessThanOrEqual(1e-6 * Math.abs(dStd) + rounding(hStd));
      }
    }
  });
});
