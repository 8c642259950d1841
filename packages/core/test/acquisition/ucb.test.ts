import { describe, expect, it } from "vitest";
import type { AcquisitionValue } from "../../src/acquisition/acquisition-value.js";
import { upperConfidenceBound } from "../../src/acquisition/ucb.js";

function fresh(): AcquisitionValue {
  return { value: Number.NaN, dMean: Number.NaN, dStd: Number.NaN };
}

describe("upperConfidenceBound", () => {
  it("is -(mean - kappa·std): the negated lower confidence bound", () => {
    expect(upperConfidenceBound(1, 0.5, 2, fresh())).toEqual({ value: 0, dMean: -1, dStd: 2 });
    expect(upperConfidenceBound(-3, 0.25, 4, fresh())).toEqual({ value: 4, dMean: -1, dStd: 4 });
  });

  it("with kappa = 0 prefers the lowest mean alone", () => {
    const low = upperConfidenceBound(0.1, 5, 0, fresh());
    const high = upperConfidenceBound(0.2, 0.01, 0, fresh());
    expect(low.value).toBe(-0.1);
    expect(low.dStd).toBe(0);
    expect(low.value).toBeGreaterThan(high.value);
  });
});
