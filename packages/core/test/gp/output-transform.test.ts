import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors.js";
import { OutputTransform } from "../../src/gp/output-transform.js";

function meanAndStd(values: ArrayLike<number>): { mean: number; std: number } {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]! / values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(ss / values.length) };
}

const smooth = Float64Array.from({ length: 20 }, (_, i) => 2 + 3 * Math.sin(0.37 * i) ** 2);

describe("OutputTransform", () => {
  it("standardises the transformed values to mean 0 and std 1", () => {
    const transform = OutputTransform.fit(smooth);
    const { mean, std } = meanAndStd(transform.forwardAll(smooth));
    expect(mean).toBeCloseTo(0, 12);
    expect(std).toBeCloseTo(1, 12);
  });

  it("keeps the other values spread out when one diverged loss is 1e6", () => {
    const y = Float64Array.from([...smooth, 1e6]);
    const transform = OutputTransform.fit(y);
    const t = transform.forwardAll(y);
    expect(meanAndStd(t.subarray(0, 20)).std).toBeGreaterThan(0.5);
    // Order preserved, outlier still the worst.
    const order = (v: ArrayLike<number>): number[] =>
      Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
    expect(order(t)).toEqual(order(y));
    expect(Math.max(...t)).toBe(t[20]);
  });

  it("is inverted exactly by inverse, on both tails", () => {
    const y = Float64Array.from([...smooth, 1e6, -40]);
    const transform = OutputTransform.fit(y);
    for (const v of [...y, 7.5, 123, 1e9, -1e3]) {
      expect(transform.inverse(transform.forward(v))).toBeCloseTo(v, Math.max(0, 12 - Math.ceil(Math.log10(Math.abs(v)))));
    }
  });

  it("is strictly increasing, linear on the good tail, compressed on the bad one", () => {
    const transform = OutputTransform.fit(smooth);
    let previous = -Infinity;
    for (let v = -10; v < 1e4; v = v < 10 ? v + 0.25 : v * 1.5) {
      const t = transform.forward(v);
      expect(t).toBeGreaterThan(previous);
      previous = t;
    }
    // Good tail (below the median): equal steps in y give equal steps in t.
    const a = transform.forward(-5);
    const b = transform.forward(-3);
    const c = transform.forward(-1);
    expect(b - a).toBeCloseTo(c - b, 12);
    // Bad tail: far above the threshold, steps shrink.
    expect(transform.forward(1e4) - transform.forward(1e3)).toBeLessThan(transform.forward(1e3) - transform.forward(1e2));
  });

  it("falls back to a unit spread and std when all values coincide", () => {
    const transform = OutputTransform.fit(Float64Array.of(3, 3, 3));
    expect(transform.forward(3)).toBe(0);
    expect(Number.isFinite(transform.forward(4))).toBe(true);
    expect(transform.inverse(transform.forward(4))).toBeCloseTo(4, 12);
  });

  it("uses the IQR when the MAD is 0", () => {
    // Over half the values equal the median, so MAD = 0 but the IQR is not.
    const y = Float64Array.of(1, 1, 1, 1, 1, 1, 5, 9, 2);
    const t = OutputTransform.fit(y).forwardAll(y);
    expect(t.every(Number.isFinite)).toBe(true);
    expect(t[7]!).toBeGreaterThan(t[6]!);
  });

  it("rejects empty or non-finite values", () => {
    expect(() => OutputTransform.fit(new Float64Array(0))).toThrow(InvalidArgumentError);
    expect(() => OutputTransform.fit(Float64Array.of(1, Number.NaN))).toThrow(/y must be finite, got y\[1\] = NaN/);
  });
});
