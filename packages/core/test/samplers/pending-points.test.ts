import { describe, expect, it } from "vitest";
import { fitGP } from "../../src/gp/fit.js";
import type { PointAcquisition } from "../../src/optimize/point-acquisition.js";
import { lipschitzProbes, localPenaliser } from "../../src/samplers/pending-points.js";
import { centralDifference, continuousDim } from "../gp/helpers.js";

const dims = [continuousDim("a"), continuousDim("b")];
const f = (x: Float64Array): number => (x[0]! - 0.3) ** 2 + 0.5 * (x[1]! - 0.6) ** 2;
const X = Array.from({ length: 16 }, (_, i) => Float64Array.of(((i * 5) % 16) / 15, ((i * 11 + 3) % 16) / 15));
const gp = fitGP(X, Float64Array.from(X, f), { dims, deterministic: true });

/** A flat target: what the penaliser adds is all there is to see. */
const flat: PointAcquisition = { dims, n: 0, scoreAll: (points) => new Float64Array(points.length), valueAndGradient: (_x, grad) => (grad.fill(0), 0) };
const value = (acquisition: PointAcquisition, x: Float64Array): number => acquisition.scoreAll([x])[0]!;

describe("localPenaliser", () => {
  // A pending point well above the minimum: its ball excludes its neighbourhood.
  const pending = Float64Array.of(0.9, 0.1);
  const penalised = localPenaliser(gp, lipschitzProbes(2, X))(flat, [pending]);

  it("penalises a pending point's neighbourhood, less and less with distance, and leaves far points alone", () => {
    const along = [0, 0.05, 0.1, 0.2, 0.4].map((t) => value(penalised, Float64Array.of(0.9 - t, 0.1 + t)));
    expect(along[0]).toBeLessThan(-5);
    for (let i = 1; i < along.length; i++) expect(along[i]).toBeGreaterThan(along[i - 1]!);
    expect(value(penalised, Float64Array.of(0.3, 0.6))).toBeGreaterThan(-1e-3);
  });

  it("adds nothing without pending points", () => {
    const x = Float64Array.of(0.9, 0.1);
    expect(value(localPenaliser(gp, X)(flat, []), x)).toBe(0);
  });

  it("has the gradient of its value (central differences)", () => {
    const x = Float64Array.of(0.8, 0.2);
    const grad = new Float64Array(2);
    const v = penalised.valueAndGradient(x, grad);
    expect(v).toBeCloseTo(value(penalised, x), 12);
    const at = (y: Float64Array): number => penalised.valueAndGradient(y, new Float64Array(2));
    for (let j = 0; j < 2; j++) expect(grad[j]).toBeCloseTo(centralDifference(at, x, j, 1e-6), 4);
  });
});
