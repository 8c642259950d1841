import { describe, expect, it } from "vitest";
import { Rng, SearchSpace, type Params } from "@bayestune/core";
import { StudyConfig } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import { parameterImportance } from "../src/plot-data/importance.js";
import { modelSlices } from "../src/plot-data/model-slices.js";
import { modelViews } from "../src/plot-data/model-views.js";

const unit = { type: "float", low: 0, high: 1 } as const;

describe("parameterImportance", () => {
  it("gives an additive linear mean a·u0 + b·u1 the indices a²/(a²+b²), b²/(a²+b²), and an unused parameter exactly 0", () => {
    const space = SearchSpace.from({ u0: unit, u1: unit, unused: unit });
    const a = 3;
    const b = 1;
    let calls = 0;
    const result = parameterImportance(space, (ps) => {
      calls++;
      return ps.map((p) => a * (p.u0 as number) + b * (p.u1 as number));
    });
    expect(calls).toBe(1);
    expect(result.map((r) => r.name)).toEqual(["u0", "u1", "unused"]);
    const [u0, u1, unused] = result as [(typeof result)[0], (typeof result)[0], (typeof result)[0]];
    // The base points' noise is common to every grid value, so for an additive
    // mean V_i is exact for the grid: a² times the variance of the 12 midpoints
    // (k + 0.5) / 12, (1 − 1/12²) / 12; the same factor for u0 and u1 cancels
    // from the normalised importance.
    const gridVariance = (1 - 1 / 144) / 12;
    expect(u0.mainEffectVariance).toBeCloseTo(a * a * gridVariance, 12);
    expect(u1.mainEffectVariance).toBeCloseTo(b * b * gridVariance, 12);
    expect(u0.importance).toBeCloseTo((a * a) / (a * a + b * b), 12);
    expect(u1.importance).toBeCloseTo((b * b) / (a * a + b * b), 12);
    // S_i's denominator also holds the other parameter's variance over the 128
    // base points: balanced Sobol points (one per 1/128 slice) give it within
    // about 1/128 of 1/12, and the grid factor 1 − 1/144 is 0.7% off, so S_i is
    // within 0.01 of the exact index.
    expect(Math.abs(u0.firstOrderIndex - 0.9)).toBeLessThan(0.01);
    expect(Math.abs(u1.firstOrderIndex - 0.1)).toBeLessThan(0.01);
    expect(unused).toEqual({ name: "unused", importance: 0, firstOrderIndex: 0, mainEffectVariance: 0 });
  });

  it("gives a mean that depends on one parameter alone the first-order index 1", () => {
    const space = SearchSpace.from({ u0: unit, u1: unit });
    const [first, second] = parameterImportance(space, (ps) => ps.map((p) => Math.sin(6 * (p.u1 as number))));
    expect(first).toMatchObject({ name: "u1", importance: 1 });
    expect(first!.firstOrderIndex).toBeCloseTo(1, 12);
    expect(second).toEqual({ name: "u0", importance: 0, firstOrderIndex: 0, mainEffectVariance: 0 });
  });

  it("detects a categorical whose choice shifts the mean, each choice weighted 1/3", () => {
    const space = SearchSpace.from({ x: unit, opt: { type: "categorical", choices: ["adamw", "lion", "sgd"] } });
    const [first, second] = parameterImportance(space, (ps) => ps.map((p) => 0.1 * (p.x as number) + (p.opt === "sgd" ? 1 : 0)));
    expect(first!.name).toBe("opt");
    // A shift of 1 on one choice in three: a Bernoulli(1/3) variance, 2/9.
    expect(first!.mainEffectVariance).toBeCloseTo(2 / 9, 12);
    expect(second!.name).toBe("x");
    expect(first!.importance).toBeGreaterThan(0.99);
  });

  it("weights an int's levels by their share of the unit cube: equal on a linear scale, unequal on a log one", () => {
    const linear = parameterImportance(SearchSpace.from({ n: { type: "int", low: 1, high: 3 } }), (ps) => ps.map((p) => p.n as number));
    expect(linear[0]!.mainEffectVariance).toBeCloseTo(2 / 3, 12); // Var of 1, 2, 3 equally likely
    // Integer v owns [v − ½, v + ½] on a log axis: P(v) = ln((v + ½)/(v − ½)) / ln(4.5 / 0.5).
    const p = [1, 2, 3, 4].map((v) => Math.log((v + 0.5) / (v - 0.5)) / Math.log(9));
    const mean = p.reduce((s, pv, i) => s + pv * (i + 1), 0);
    const variance = p.reduce((s, pv, i) => s + pv * (i + 1 - mean) ** 2, 0);
    const log = parameterImportance(SearchSpace.from({ n: { type: "int", low: 1, high: 4, log: true } }), (ps) => ps.map((q) => q.n as number));
    expect(log[0]!.mainEffectVariance).toBeCloseTo(variance, 12);
  });

  it("gives a constant mean zero importances, not NaN", () => {
    const space = SearchSpace.from({ u0: unit, opt: { type: "categorical", choices: ["a", "b"] } });
    const result = parameterImportance(space, (ps) => ps.map(() => 2.5));
    expect(result).toEqual([
      { name: "u0", importance: 0, firstOrderIndex: 0, mainEffectVariance: 0 },
      { name: "opt", importance: 0, firstOrderIndex: 0, mainEffectVariance: 0 },
    ]);
  });

  it("is deterministic for a seed", () => {
    const space = SearchSpace.from({ u0: unit, u1: unit });
    const mean = (ps: readonly Params[]): number[] => ps.map((p) => (p.u0 as number) * (p.u1 as number));
    expect(parameterImportance(space, mean, { seed: 7 })).toEqual(parameterImportance(space, mean, { seed: 7 }));
  });
});

describe("modelSlices", () => {
  const space = SearchSpace.from({
    lr: { type: "float", low: 1e-4, high: 1e-1, log: true },
    width: { type: "float", low: 0, high: 10 },
    layers: { type: "int", low: 1, high: 5 },
    heads: { type: "int", low: 1, high: 64, log: true },
    opt: { type: "categorical", choices: ["adamw", "lion", "sgd"] },
  });
  const anchor: Params = { lr: 0.003, width: 2.5, layers: 3, heads: 8, opt: "lion" };
  const f = (p: Params): number => Math.log10(p.lr as number) + (p.width as number) + (p.layers as number) + Math.log2(p.heads as number) + (p.opt === "sgd" ? 1 : 0);
  const observed: { params: Params; value: number }[] = [
    { params: { lr: 0.01, width: 1, layers: 2, heads: 4, opt: "adamw" }, value: 7 },
    { params: anchor, value: 5 },
  ];

  function run(): { slices: ReturnType<typeof modelSlices>; inputs: Params[][] } {
    const inputs: Params[][] = [];
    const slices = modelSlices(
      space,
      (ps) => {
        inputs.push([...ps]);
        return ps.map((p) => ({ mean: f(p), std: 0.5 }));
      },
      anchor,
      observed,
    );
    return { slices, inputs };
  }

  it("has a geometric grid for a log float, an even one for a float, integers once each for an int, every choice for a categorical", () => {
    const { slices } = run();
    const byName = Object.fromEntries(slices.map((s) => [s.name, s]));
    expect(slices.map((s) => [s.name, s.kind])).toEqual([
      ["lr", "log"],
      ["width", "linear"],
      ["layers", "linear"],
      ["heads", "log"],
      ["opt", "categorical"],
    ]);
    const lr = byName.lr!.x as number[];
    expect(lr).toContain(0.003);
    const lrGrid = lr.filter((v) => v !== 0.003);
    expect(lrGrid).toHaveLength(40);
    expect([lrGrid[0], lrGrid.at(-1)]).toEqual([1e-4, 1e-1]);
    for (let k = 1; k < lrGrid.length; k++) expect(lrGrid[k]! / lrGrid[k - 1]!).toBeCloseTo(1000 ** (1 / 39), 10);
    const width = (byName.width!.x as number[]).filter((v) => v !== 2.5);
    expect(width).toHaveLength(40);
    for (let k = 1; k < width.length; k++) expect(width[k]! - width[k - 1]!).toBeCloseTo(10 / 39, 10);
    expect(byName.layers!.x).toEqual([1, 2, 3, 4, 5]);
    const heads = byName.heads!.x as number[];
    expect(heads.every(Number.isInteger)).toBe(true);
    expect(new Set(heads).size).toBe(heads.length);
    expect(heads).toEqual([...heads].sort((a, b) => a - b));
    expect([heads[0], heads.at(-1)]).toEqual([1, 64]);
    expect(heads).toContain(8);
    expect(byName.opt!.x).toEqual(["adamw", "lion", "sgd"]);
  });

  it("passes through the anchor, holds the other parameters there, and bands the mean by ±2 std, in one predict call", () => {
    const { slices, inputs } = run();
    expect(inputs).toHaveLength(1);
    const points = inputs[0]!;
    expect(points).toHaveLength(slices.reduce((n, s) => n + s.x.length, 0));
    let offset = 0;
    for (const slice of slices) {
      slice.x.forEach((x, k) => {
        // Every choice here is a string, so x is the very value predicted at.
        expect(points[offset + k]).toEqual({ ...anchor, [slice.name]: x });
      });
      offset += slice.x.length;
      const at = slice.x.indexOf(slice.anchor);
      expect(slice.anchor).toBe(anchor[slice.name]);
      expect(slice.mean[at]).toBe(f(anchor));
      slice.mean.forEach((m, k) => {
        expect(slice.lower[k]).toBeLessThan(m);
        expect(slice.upper[k]).toBeGreaterThan(m);
        expect(slice.upper[k]! - m).toBeCloseTo(1, 12);
      });
      expect(slice.observed).toEqual(observed.map((o) => ({ x: o.params[slice.name], value: o.value })));
    }
  });
});

describe("modelViews", () => {
  const config = StudyConfig.parse({
    name: "s",
    maxTrials: 20,
    space: { lr: { type: "float", low: 1e-5, high: 1e-1, log: true }, layers: { type: "int", low: 1, high: 8 }, opt: { type: "categorical", choices: ["adamw", "lion"] } },
    command: { argv: ["python", "train.py"] },
  });
  // The loss is a bowl in log10(lr) (0 to 4 over the range) and barely moves with layers and opt.
  const loss = (p: Params): number => (Math.log10(p.lr as number) + 3) ** 2 + 0.02 * (p.layers as number) + (p.opt === "lion" ? 0.05 : 0);

  function trial(number: number, params: Params, fields: Partial<StoredTrial> = {}): StoredTrial {
    const value = (fields.state ?? "complete") === "complete" ? { value: loss(params) } : {};
    return { study: "s", number, params: params as StoredTrial["params"], state: "complete", ...value, rung: 0, intermediate: [], rungs: [], source: "sampler", attempts: 1, createdAt: 0, ...fields };
  }

  function history(completeCount: number): StoredTrial[] {
    const rng = new Rng(1); // puts the best of 12 at trial 11 and the worst at trial 5, away from the ends
    const trials: StoredTrial[] = [];
    for (let n = 0; trials.filter((t) => t.state === "complete").length < completeCount; n++) {
      const params = { lr: 10 ** (-5 + 4 * rng.uniform()), layers: 1 + rng.int(8), opt: rng.int(2) === 0 ? "adamw" : "lion" };
      trials.push(n % 5 === 4 ? trial(n, params, { state: "failed", reason: "timeout" }) : trial(n, params));
    }
    return [...trials, trial(trials.length, { lr: 1e-3, layers: 1, opt: "adamw" }, { state: "running" })];
  }

  it("ranks the parameter the loss depends on first and slices through the best trial", async () => {
    const trials = history(12);
    const views = await modelViews(config, trials);
    if (!views.available) throw new Error(views.reason);
    const complete = trials.filter((t) => t.state === "complete");
    const best = complete.reduce((b, t) => (t.value! < b.value! ? t : b));
    expect(views.anchorTrial).toBe(best.number);
    expect(views.objective).toBe("loss");
    expect(views.importance[0]!.name).toBe("lr");
    expect(views.importance.reduce((s, r) => s + r.importance, 0)).toBeCloseTo(1, 12);
    expect(views.slices.map((s) => s.name)).toEqual(["lr", "layers", "opt"]);
    for (const slice of views.slices) {
      expect(slice.anchor).toBe(best.params[slice.name]);
      expect(slice.observed).toHaveLength(12);
    }
    // The slice along lr is lowest near its bowl's bottom, lr = 1e-3.
    const lr = views.slices[0]!;
    const lowest = lr.x[lr.mean.indexOf(Math.min(...lr.mean))] as number;
    expect(Math.abs(Math.log10(lowest) + 3)).toBeLessThan(0.5);

    const maximized = await modelViews(StudyConfig.parse({ ...config, direction: "maximize" }), trials);
    const worst = complete.reduce((w, t) => (t.value! > w.value! ? t : w));
    expect(maximized).toMatchObject({ available: true, anchorTrial: worst.number });
  });

  it("anchors at the best feasible trial, not the best one outside a constraint", async () => {
    const constrained = StudyConfig.parse({ ...config, constraints: [{ metric: "memory_gb", max: 80 }] });
    const trials = history(12).map((t) => (t.value === undefined ? t : { ...t, metrics: { loss: t.value, memory_gb: t.number === 11 ? 90 : 40 } }));
    // Trial 11, the best of all, breaks the memory limit.
    expect(trials.filter((t) => t.value !== undefined).reduce((b, t) => (t.value! < b.value! ? t : b)).number).toBe(11);
    const feasible = trials.filter((t) => t.value !== undefined && t.number !== 11);
    const views = await modelViews(constrained, trials);
    expect(views).toMatchObject({ available: true, anchorTrial: feasible.reduce((b, t) => (t.value! < b.value! ? t : b)).number });
  });

  it("models the first of several objectives and anchors at the best trial by it", async () => {
    const two = StudyConfig.parse({ ...config, objectives: [{ metric: "loss", direction: "minimize" }, { metric: "hours", direction: "minimize" }] });
    // hours falls as loss rises, so the best by loss is not the best by hours.
    const trials = history(12).map((t) => (t.value === undefined ? t : { ...t, metrics: { loss: t.value, hours: 10 - t.value } }));
    const views = await modelViews(two, trials);
    if (!views.available) throw new Error(views.reason);
    const best = trials.filter((t) => t.value !== undefined).reduce((b, t) => (t.value! < b.value! ? t : b));
    expect(views.objective).toBe("loss");
    expect(views.anchorTrial).toBe(best.number);
    expect(views.importance[0]!.name).toBe("lr");
  });

  it("is unavailable, with the core's reason, when the model cannot use the complete trials", async () => {
    const two = StudyConfig.parse({ ...config, objectives: [{ metric: "loss", direction: "minimize" }, { metric: "hours", direction: "minimize" }] });
    // Without the second objective's metric, the replay fails every trial.
    const views = await modelViews(two, history(12));
    expect(views).toEqual({ available: false, reason: "bayestune: objectiveModel needs at least 2 complete trials to fit a model, got 0" });
  });

  it("is unavailable, with the reason, before 2 complete trials", async () => {
    const views = await modelViews(config, history(1));
    expect(views).toEqual({ available: false, reason: "the model needs at least 2 complete trials; this study has 1" });
  });
});
