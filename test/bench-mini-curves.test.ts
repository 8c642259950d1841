import { describe, expect, it } from "vitest";
import { SearchSpace } from "@bayestune/core";
import {
  loadLmCurves,
  loadMiniCurves,
  lossAt,
  MINI_CURVES_FILE,
  readRecordedCurves,
  secondsAt,
  type RecordedPoint,
} from "../bench/multi-fidelity/lm-curves.js";

const SIX = ["lr", "batch_size", "warmup_steps", "dropout", "one_minus_beta2", "weight_decay"];

describe("multi-fidelity bench: the recorded mini-GPT curves (mini-curves.json)", () => {
  const recorded = readRecordedCurves(MINI_CURVES_FILE);
  const space = SearchSpace.from(recorded.space);

  it("covers six knobs with at least 150 configurations, each inside the space", () => {
    expect(Object.keys(recorded.space)).toEqual(SIX);
    expect(recorded.runs.length).toBeGreaterThanOrEqual(150);
    for (const run of recorded.runs) {
      expect(Object.keys(run.params).sort()).toEqual([...SIX].sort());
      // encode throws on a missing or unknown key, a value out of range, or a non-integer int.
      expect(() => space.encode(run.params)).not.toThrow();
    }
    // A design, not one configuration 160 times: every run has its own params.
    expect(new Set(recorded.runs.map((run) => JSON.stringify(run.params))).size).toBe(recorded.runs.length);
  });

  it("has at least 8 evaluations per curve, steps and training seconds increasing", () => {
    for (const run of recorded.runs) {
      const curve = run.curve;
      const diverged = curve.at(-1)![1] === null;
      if (!diverged) {
        expect(curve.length).toBeGreaterThanOrEqual(8);
        expect(curve.at(-1)![0]).toBe(recorded.maxSteps);
      }
      expect(curve[0]![0]).toBe(recorded.minSteps);
      curve.forEach((point, i) => {
        expect(point).toHaveLength(3);
        const [step, loss, seconds] = point;
        expect(seconds).toBeGreaterThan(0);
        if (i < curve.length - 1) expect(loss).not.toBeNull(); // a diverged run stops at the evaluation that saw it
        if (loss !== null) expect(Number.isFinite(loss) && loss > 0).toBe(true);
        if (i > 0) {
          expect(step).toBeGreaterThan(curve[i - 1]![0]);
          expect(seconds!).toBeGreaterThan(curve[i - 1]![2]!);
        }
      });
      // The same intervals in CPU seconds: one per evaluation, increasing, never above the wall clock by more than noise.
      expect(run.cpu).toHaveLength(curve.length);
      run.cpu!.forEach((cpu, i) => {
        expect(cpu).toBeGreaterThan(i === 0 ? 0 : run.cpu![i - 1]!);
        expect(cpu).toBeLessThan(curve[i]![2]! * 1.05 + 0.05);
      });
    }
    // Most runs reach the full budget.
    expect(recorded.runs.filter((run) => run.curve.at(-1)![1] !== null).length).toBeGreaterThanOrEqual(150);
  });

  it("charges a step at a large batch more seconds than one at a small batch", () => {
    const perStep = (run: (typeof recorded.runs)[number]): number => run.curve.at(-1)![2]! / run.curve.at(-1)![0];
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const small = median(recorded.runs.filter((run) => (run.params.batch_size as number) <= 12).map(perStep));
    const large = median(recorded.runs.filter((run) => (run.params.batch_size as number) >= 96).map(perStep));
    expect(large).toBeGreaterThan(3 * small);
  });

  it("replays each run's own loss and seconds at its own params, and says what the seconds are", () => {
    const problem = loadMiniCurves();
    expect(problem.seconds).toBeDefined();
    expect(recorded.seconds).toMatch(/wall-clock seconds of training/);
    for (const run of recorded.runs.slice(0, 20)) {
      const [step, loss, seconds] = run.curve.at(-1)!;
      expect(problem.seconds!(run.params, step)).toBeCloseTo(seconds!, 9);
      if (loss !== null) expect(problem.loss(run.params, step)).toBeCloseTo(loss, 9);
    }
    expect(problem.bestFullBudgetLoss).toBeLessThan(3);
    const target = problem.bestFullBudgetLoss + problem.targetGap;
    expect(recorded.runs.filter((run) => (run.curve.at(-1)![1] ?? Infinity) <= target).length).toBeGreaterThanOrEqual(2);
    const cpu = loadMiniCurves({ seconds: "cpu" });
    const run = recorded.runs[0]!;
    expect(cpu.seconds!(run.params, run.curve.at(-1)![0])).toBeCloseTo(run.cpu!.at(-1)!, 9);
  });
});

describe("multi-fidelity bench: recorded-curve interpolation", () => {
  const curve: RecordedPoint[] = [
    [10, 4, 1],
    [20, 3, 2.5],
    [40, null, 4.5],
  ];

  it("interpolates seconds linearly in steps, from zero, and past the end at the mean rate", () => {
    expect(secondsAt(curve, 5)).toBeCloseTo(0.5, 12);
    expect(secondsAt(curve, 10)).toBe(1);
    expect(secondsAt(curve, 15)).toBeCloseTo(1.75, 12);
    expect(secondsAt(curve, 30)).toBeCloseTo(3.5, 12);
    expect(secondsAt(curve, 80)).toBeCloseTo(9, 12);
  });

  it("interpolates the loss in log steps and gives NaN once diverged", () => {
    expect(lossAt(curve, 10)).toBe(4);
    expect(lossAt(curve, Math.sqrt(200))).toBeCloseTo(3.5, 12);
    expect(lossAt(curve, 30)).toBeNaN();
  });

  it("keeps the first set (lm-curves.json) as it was: loss, no per-evaluation seconds", () => {
    const lm = loadLmCurves();
    expect(lm.name).toBe("tiny-lm");
    expect(lm.seconds).toBeUndefined();
    expect(lm.bestFullBudgetLoss).toBeCloseTo(1.4804, 3);
    expect(Object.keys(lm.space)).toEqual(["lr", "warmup_steps", "dropout"]);
  });
});
