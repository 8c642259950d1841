import { describe, expect, it } from "vitest";
import { BudgetGpModel } from "../../src/curves/budget-gp.js";
import { FreezeThawSearch, type SearchTrial } from "../../src/curves/freeze-thaw-search.js";
import { fitGP } from "../../src/gp/fit.js";
import { Rng } from "../../src/rng.js";
import { SearchSpace } from "../../src/space/search-space.js";

const space = SearchSpace.from({ x: { type: "float", low: 0, high: 1 } });
const ladder = [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1];
/** A family of curves: the asymptote is lowest at x = 0.3; every curve falls as 1/√s. */
const value = (x: number, s: number): number => (x - 0.3) ** 2 + 0.05 / Math.sqrt(s);

function curve(x: number, upTo: number): { x: Float64Array; points: [number, number][] } {
  return { x: Float64Array.of(x), points: ladder.filter((s) => s <= upTo).map((s) => [s, value(x, s)]) };
}

describe("BudgetGpModel", () => {
  it("is the GP over (params, budget coordinate) of the curves' points: log budget from the first increment (0) to the full one (1)", () => {
    const curves = [curve(0.1, 1), curve(0.5, 1 / 4), curve(0.9, 1 / 16)];
    const model = new BudgetGpModel(space.dims, curves, 1 / 16);
    const X = curves.flatMap((c) => c.points.map(([s]) => Float64Array.of(c.x[0]!, Math.log(s / (1 / 16)) / Math.log(16))));
    const y = Float64Array.from(curves.flatMap((c) => c.points.map((p) => p[1])));
    const gp = fitGP(X, y, { dims: [...space.dims, { name: "__budget", kind: "continuous", levels: Infinity, centers: new Float64Array(0) }] });
    const direct = gp.predict([Float64Array.of(0.5, 1), Float64Array.of(0.3, 0.5)]);
    expect(model.predict(1, 1).mean).toBeCloseTo(direct.mean[0]!, 10);
    expect(model.predict(Float64Array.of(0.3), 1 / 4).mean).toBeCloseTo(direct.mean[1]!, 10);
    expect(model.predict(Float64Array.of(0.3), 1 / 4).variance).toBeCloseTo(direct.variance[1]!, 10);
  });
});

describe("FreezeThawSearch", () => {
  const trials = (status: (i: number) => "paused" | "done"): SearchTrial[] =>
    [0.05, 0.3, 0.55, 0.8, 0.95].map((x, i) => {
      const c = curve(x, i === 1 ? 1 / 2 : 1 / 8);
      return { ...c, ...(status(i) === "paused" ? { reached: c.points.at(-1)![0] } : {}) };
    });

  it("continues the paused trial whose curve heads for the best full-budget value rather than a fresh configuration far from it", () => {
    const search = new FreezeThawSearch(space.dims);
    // x = 0.3 is halfway and the best; the candidates lie where the others already did worse.
    const choice = search.choose({ trials: trials(() => "paused"), candidates: [Float64Array.of(0.9), Float64Array.of(0.99)], pending: [], firstIncrement: 1 / 16 });
    expect(choice).toMatchObject({ kind: "continue", index: 1 });
  });

  it("starts a new configuration where the model expects the most improvement when nothing paused is promising", () => {
    const search = new FreezeThawSearch(space.dims);
    const rng = new Rng(1);
    const candidates = Array.from({ length: 64 }, () => Float64Array.of(rng.uniform()));
    const choice = search.choose({ trials: trials(() => "done"), candidates, pending: [], firstIncrement: 1 / 16 });
    expect(choice?.kind).toBe("new");
    // Near the best curve seen (x = 0.3), not out at the worse ones.
    expect(Math.abs(candidates[choice!.index]![0]! - 0.3)).toBeLessThan(0.2);
  });

  it("weighs a paused trial by the training it still needs: dearer per unit of cost, it loses to an equally promising one nearly done", () => {
    const search = new FreezeThawSearch(space.dims);
    const base = trials(() => "done");
    // Two paused trials at the same x (the same predicted final value), one at 1/8 and one at 1/2 of the budget.
    const early = { ...curve(0.3, 1 / 8), reached: 1 / 8 };
    const late = { ...curve(0.3, 1 / 2), reached: 1 / 2 };
    const choice = search.choose({ trials: [...base, early, late], candidates: [], pending: [], firstIncrement: 1 / 16 });
    expect(choice).toMatchObject({ kind: "continue", index: base.length + 1 });
  });

  it("keeps a new configuration away from one already training there", () => {
    const search = new FreezeThawSearch(space.dims);
    const best = search.choose({ trials: trials(() => "done"), candidates: [Float64Array.of(0.3), Float64Array.of(0.6)], pending: [], firstIncrement: 1 / 16 });
    expect(best).toMatchObject({ kind: "new", index: 0 });
    const spread = search.choose({ trials: trials(() => "done"), candidates: [Float64Array.of(0.3), Float64Array.of(0.6)], pending: [Float64Array.of(0.3)], firstIncrement: 1 / 16 });
    expect(spread).toMatchObject({ kind: "new", index: 1 });
  });

  it("has nothing to choose without a paused trial or a candidate", () => {
    expect(new FreezeThawSearch(space.dims).choose({ trials: trials(() => "done"), candidates: [], pending: [], firstIncrement: 1 / 16 })).toBeUndefined();
  });
});
