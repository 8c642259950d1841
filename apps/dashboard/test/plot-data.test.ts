import { describe, expect, it } from "vitest";
import { StudyConfig } from "@bayestune/protocol";
import type { IntermediateValue, StoredTrial } from "@bayestune/store";
import { feasibilityPlot, learningCurves, optimizationHistory, parallelCoordinates, paretoPlot } from "../src/index.js";

function trial(number: number, fields: Partial<StoredTrial> = {}): StoredTrial {
  return { study: "s", number, params: { lr: 0.01, layers: 2, opt: "adamw" }, state: "complete", rung: 0, intermediate: [], rungs: [], source: "sampler", attempts: 1, createdAt: 0, ...fields };
}

const config = StudyConfig.parse({
  name: "s",
  maxTrials: 10,
  space: { lr: { type: "float", low: 1e-5, high: 1e-1, log: true }, layers: { type: "int", low: 1, high: 8 }, opt: { type: "categorical", choices: ["adamw", "lion"] } },
  command: { argv: ["python", "train.py"] },
});

describe("optimizationHistory", () => {
  it("gives complete trials in order with the best feasible value so far, for either direction", () => {
    const trials = [trial(2, { value: 3 }), trial(0, { value: 5 }), trial(1, { state: "failed", reason: "timeout" }), trial(3, { value: 4 }), trial(4, { state: "running" })];
    expect(optimizationHistory(trials, config)).toEqual([
      { trial: 0, value: 5, feasible: true, bestSoFar: 5 },
      { trial: 2, value: 3, feasible: true, bestSoFar: 3 },
      { trial: 3, value: 4, feasible: true, bestSoFar: 3 },
    ]);
    expect(optimizationHistory(trials, { ...config, direction: "maximize" }).map((p) => p.bestSoFar)).toEqual([5, 5, 5]);
  });

  it("leaves an infeasible trial out of the best so far, and has no best before the first feasible one", () => {
    const constrained = { ...config, constraints: [{ metric: "memory_gb", max: 80 }] };
    const trials = [trial(0, { value: 1, metrics: { loss: 1, memory_gb: 90 } }), trial(1, { value: 2, metrics: { loss: 2, memory_gb: 70 } })];
    expect(optimizationHistory(trials, constrained)).toEqual([
      { trial: 0, value: 1, feasible: false },
      { trial: 1, value: 2, feasible: true, bestSoFar: 2 },
    ]);
  });
});

describe("parallelCoordinates", () => {
  it("has one axis per parameter with its scale, and one line per complete trial", () => {
    const trials = [trial(0, { value: 1, params: { lr: 0.001, layers: 3, opt: "lion" } }), trial(1, { state: "failed", reason: "timeout" }), trial(2, { value: 2 })];
    const plot = parallelCoordinates(trials, config);
    expect(plot.axes).toEqual([
      { name: "lr", kind: "log", low: 1e-5, high: 1e-1 },
      { name: "layers", kind: "linear", low: 1, high: 8 },
      { name: "opt", kind: "categorical", choices: ["adamw", "lion"] },
    ]);
    expect(plot.lines).toEqual([
      { trial: 0, values: [0.001, 3, 1], objective: 1 },
      { trial: 2, values: [0.01, 2, 0], objective: 2 },
    ]);
  });
});

describe("learningCurves", () => {
  it("gives each trial's objective by step, skips non-finite reports and marks where promotions started", () => {
    const report = (rung: number, step: number, loss: number | null): IntermediateValue => ({ rung, step, metrics: { loss } });
    const trials = [
      trial(0, { state: "paused", intermediate: [report(0, 10, 3), report(0, 20, 2.5)] }),
      trial(1, { rung: 2, intermediate: [report(0, 10, 2.8), report(0, 20, 2.2), report(1, 30, 2.0), report(1, 60, 1.9), report(2, 90, 1.8)] }),
      trial(2, { state: "failed", reason: "non-finite-metric", intermediate: [report(0, 10, 3.1), report(0, 20, null)] }),
    ];
    const curves = learningCurves(trials, config);
    expect(curves.map((c) => c.points.map((p) => p.step))).toEqual([[10, 20], [10, 20, 30, 60, 90], [10]]);
    expect(curves[1]!.promotions).toEqual([
      { rung: 1, step: 30 },
      { rung: 2, step: 90 },
    ]);
    expect(curves[0]!.promotions).toEqual([]);
    expect(curves[2]!.state).toBe("failed");
  });

  it("thins a long curve to about its cap, keeping its ends, both ends of each rung, and its spikes", () => {
    // 10,000 reports: a smooth descent with a spike at step 5001 and a dip at 7003; promoted to rung 1 at step 6000.
    const intermediate = Array.from({ length: 10_000 }, (_, i): IntermediateValue => {
      const value = i === 5001 ? 50 : i === 7003 ? -5 : 10 / (1 + i / 100);
      return { rung: i < 6000 ? 0 : 1, step: i, metrics: { loss: value } };
    });
    const [curve] = learningCurves([trial(0, { rung: 1, intermediate })], config, 250);
    const steps = curve!.points.map((p) => p.step);
    expect(steps.length).toBeGreaterThan(200);
    expect(steps.length).toBeLessThanOrEqual(250 + 4);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(steps).toEqual(expect.arrayContaining([0, 5001, 5999, 6000, 7003, 9999]));
    // Every point kept is one that was reported, and the promotion still finds its point.
    for (const p of curve!.points) expect(p.value).toBe(intermediate[p.step]!.metrics["loss"]);
    expect(curve!.promotions).toEqual([{ rung: 1, step: 6000 }]);
    // A curve within the cap is left whole.
    expect(learningCurves([trial(0, { intermediate: intermediate.slice(0, 250) })], config, 250)[0]!.points).toHaveLength(250);
  });
});

describe("paretoPlot", () => {
  it("marks the Pareto front of the feasible trials against a brute-force check, and is empty for one objective", () => {
    const two = StudyConfig.parse({
      ...config,
      objectives: [
        { metric: "loss", direction: "minimize" },
        { metric: "accuracy", direction: "maximize" },
      ],
      constraints: [{ metric: "memory_gb", max: 80 }],
    });
    const points: [number, number, number][] = [
      [1, 0.5, 10],
      [2, 0.9, 10],
      [1.5, 0.6, 10],
      [0.5, 0.95, 90], // would dominate all, but breaks the memory limit
      [3, 0.4, 10],
    ];
    const trials = points.map(([loss, accuracy, memory_gb], i) => trial(i, { value: loss, metrics: { loss, accuracy, memory_gb } }));
    const plot = paretoPlot([...trials, trial(9, { state: "failed", reason: "timeout" })], two);
    expect(plot.objectives).toEqual(["loss", "accuracy"]);
    const feasible = plot.points.filter((p) => p.feasible);
    const brute = feasible.filter((p) => !feasible.some((q) => q.values[0]! <= p.values[0]! && q.values[1]! >= p.values[1]! && (q.values[0]! < p.values[0]! || q.values[1]! > p.values[1]!)));
    expect(plot.points.filter((p) => p.onFront).map((p) => p.trial)).toEqual(brute.map((p) => p.trial));
    expect(plot.points.filter((p) => p.onFront).map((p) => p.trial)).toEqual([0, 1, 2]);
    expect(plot.points.find((p) => p.trial === 3)).toMatchObject({ feasible: false, onFront: false });
    expect(paretoPlot(trials, config)).toEqual({ objectives: [], points: [] });
  });
});

describe("feasibilityPlot", () => {
  it("gives one panel per constraint with each complete trial marked by its bound, and counts failures by reason", () => {
    const constrained = { constraints: [{ metric: "memory_gb", max: 80 }, { metric: "hours", min: 0.1, max: 1 }] };
    const trials = [
      trial(0, { value: 1, metrics: { loss: 1, memory_gb: 90, hours: 0.5 } }),
      trial(1, { value: 2, metrics: { loss: 2, memory_gb: 70, hours: 0.05 } }),
      trial(2, { state: "failed", reason: "out-of-memory" }),
      trial(3, { state: "failed", reason: "out-of-memory" }),
      trial(4, { state: "failed", reason: "non-finite-metric" }),
      trial(5, { state: "running" }),
    ];
    const plot = feasibilityPlot(trials, constrained);
    expect(plot.panels).toEqual([
      { metric: "memory_gb", max: 80, points: [{ trial: 0, value: 90, objective: 1, feasible: false }, { trial: 1, value: 70, objective: 2, feasible: true }] },
      { metric: "hours", min: 0.1, max: 1, points: [{ trial: 0, value: 0.5, objective: 1, feasible: true }, { trial: 1, value: 0.05, objective: 2, feasible: false }] },
    ]);
    expect(plot.failures).toEqual({ "out-of-memory": 2, "non-finite-metric": 1 });
    expect(feasibilityPlot(trials, { constraints: [] }).panels).toEqual([]);
  });
});

