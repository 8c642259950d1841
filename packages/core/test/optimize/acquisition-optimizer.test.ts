import { describe, expect, it } from "vitest";
import { createAcquisition } from "../../src/acquisition/acquisition.js";
import { fitGP } from "../../src/gp/fit.js";
import { optimizeAcquisition } from "../../src/optimize/acquisition-optimizer.js";
import { gpAcquisition } from "../../src/optimize/point-acquisition.js";
import { Rng } from "../../src/rng.js";
import { categorical, float, int } from "../../src/space/param-builders.js";
import { SearchSpace } from "../../src/space/search-space.js";

function fitted(space: SearchSpace, f: (u: Float64Array) => number, n: number, seed: number) {
  const rng = new Rng(seed);
  const X: Float64Array[] = [];
  for (let i = 0; i < n; i++) X.push(space.snap(Float64Array.from({ length: space.dimension }, () => rng.uniform())));
  const y = Float64Array.from(X, f);
  return { gp: fitGP(X, y, { dims: space.dims }), X, y };
}

describe("optimizeAcquisition", () => {
  it("reaches the maximum of LogEI found by a dense grid in 1-D", () => {
    const space = SearchSpace.from({ x: float(0, 1) });
    const { gp } = fitted(space, (u) => Math.sin(12 * (u[0] as number)) + (u[0] as number), 6, 1);
    const acquisition = createAcquisition("logEI", { best: gp.bestModel });
    const grid = Array.from({ length: 4001 }, (_, i) => Float64Array.of(i / 4000));
    const { mean, variance } = gp.predict(grid);
    let gridBest = -Infinity;
    for (let i = 0; i < grid.length; i++) {
      gridBest = Math.max(gridBest, acquisition.evaluate(mean[i] as number, Math.sqrt(Math.max(variance[i] as number, 1e-18))).value);
    }
    const result = optimizeAcquisition(gpAcquisition(gp, acquisition), (u) => space.snap(u), [], new Rng(3));
    expect(result.value).toBeGreaterThanOrEqual(gridBest - 1e-6);
  });

  it("returns points on the grid of a mixed space, categoricals at their cell centres", () => {
    const space = SearchSpace.from({
      lr: float(1e-5, 1e-1, { log: true }),
      layers: int(1, 12),
      batch: int(8, 512, { log: true }),
      act: categorical(["relu", "gelu", "silu"]),
      dropout: float(0, 0.5, { step: 0.05 }),
    });
    const f = (u: Float64Array): number => (u[0]! - 0.3) ** 2 + (u[1]! - 0.7) ** 2 + (u[3]! < 1 / 3 ? 0.5 : 0) + u[4]!;
    const { gp, X } = fitted(space, f, 15, 2);
    const acquisition = createAcquisition("logEI", { best: gp.bestModel });
    for (let seed = 0; seed < 5; seed++) {
      const { x } = optimizeAcquisition(gpAcquisition(gp, acquisition), (u) => space.snap(u), X.slice(0, 3), new Rng(seed));
      expect(Array.from(space.snap(x))).toEqual(Array.from(x));
      expect(space.contains(space.decode(x))).toBe(true);
      for (const v of x) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
  });

  it("is deterministic for the same RNG seed", () => {
    const space = SearchSpace.from({ a: float(0, 1), b: int(0, 10), c: categorical(["x", "y"]) });
    const { gp, X } = fitted(space, (u) => (u[0]! - 0.5) ** 2 + u[1]!, 10, 4);
    const acquisition = createAcquisition("EI", { best: gp.bestModel });
    const a = optimizeAcquisition(gpAcquisition(gp, acquisition), (u) => space.snap(u), X, new Rng(9));
    const b = optimizeAcquisition(gpAcquisition(gp, acquisition), (u) => space.snap(u), X, new Rng(9));
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
  });
});
