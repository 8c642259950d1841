import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  medianStoppingDecision,
  MedianStoppingScheduler,
  schedulerFromSpec,
  rungLadder,
  StagedScreen,
  SuccessiveHalving,
  type LearningCurve,
  type RungTrial,
  type Scheduler,
} from "../src/index.js";

/** A finished-rung history: rung → value. */
function trial(number: number, values: number[], extra: Partial<RungTrial> = {}): RungTrial {
  return { number, bracket: 0, values: new Map(values.map((v, k) => [k, v])), ...extra };
}

describe("rungLadder", () => {
  it("climbs by η and ends at max", () => {
    expect(rungLadder({ min: 100, max: 1000, reductionFactor: 3 })).toEqual([100, 300, 1000]);
    expect(rungLadder({ min: 1, max: 81, reductionFactor: 3 })).toEqual([1, 3, 9, 27, 81]);
    expect(rungLadder({ min: 100, max: 899, reductionFactor: 3 })).toEqual([100, 300, 899]);
    expect(rungLadder({ min: 10, max: 160, reductionFactor: 2 })).toEqual([10, 20, 40, 80, 160]);
  });

  it("never leaves a sliver of a top rung: 100→500 with η = 3 is one step", () => {
    expect(rungLadder({ min: 100, max: 500 })).toEqual([100, 500]);
    expect(rungLadder({ min: 100, max: 100 })).toEqual([100]);
  });

  it("keeps fractional budgets when asked, and merges rungs that round to the same integer", () => {
    const ladder = rungLadder({ min: 0.1, max: 0.9, integer: false });
    expect(ladder).toHaveLength(3);
    expect(ladder[0]).toBeCloseTo(0.1, 15);
    expect(ladder[1]).toBeCloseTo(0.3, 15);
    expect(ladder[2]).toBe(0.9);
    expect(rungLadder({ min: 0.3, max: 8.1, reductionFactor: 3 })).toEqual([1, 3, 8]);
  });

  it("refuses an empty range or η < 2 with a typed error", () => {
    expect(() => rungLadder({ min: 0, max: 10 })).toThrow(InvalidArgumentError);
    expect(() => rungLadder({ min: 10, max: 5 })).toThrow(/max must be a number ≥ min/);
    expect(() => rungLadder({ min: 1, max: 10, reductionFactor: 1.5 })).toThrow(/reductionFactor/);
  });
});

describe("SuccessiveHalving as ASHA (one bracket)", () => {
  const asha = new SuccessiveHalving({ min: 1, max: 9, reductionFactor: 3 });

  it("has rungs 1, 3, 9 and starts new configurations at the bottom while nothing is promotable", () => {
    expect(asha.rungs).toEqual([1, 3, 9]);
    expect(asha.next([])).toEqual({ kind: "new", rung: 0, bracket: 0 });
    // Two results: the top ⌊2/3⌋ = 0 — nobody is promotable yet, and the slot does not wait.
    expect(asha.next([trial(0, [5]), trial(1, [1])])).toEqual({ kind: "new", rung: 0, bracket: 0 });
  });

  it("promotes the best of three at rung 0, and then no one else until more results come", () => {
    const three = [trial(0, [5]), trial(1, [1]), trial(2, [3])];
    expect(asha.next(three)).toEqual({ kind: "promote", trial: 1, rung: 1 });
    const promoted = [trial(0, [5]), trial(1, [1], { running: 1 }), trial(2, [3])];
    expect(asha.next(promoted)).toEqual({ kind: "new", rung: 0, bracket: 0 });
  });

  it("with six results promotes the second best once the best is gone up", () => {
    const six = [trial(0, [5]), trial(1, [1, 0.5]), trial(2, [3]), trial(3, [4]), trial(4, [2]), trial(5, [6])];
    expect(asha.next(six)).toEqual({ kind: "promote", trial: 4, rung: 1 });
  });

  it("prefers a promotion to a higher rung: a run near its end first", () => {
    const trials = [
      trial(0, [1, 0.2]),
      trial(1, [2, 0.9]),
      trial(2, [3, 0.8]),
      trial(3, [0.5]),
      trial(4, [4]),
      trial(5, [5]),
      trial(6, [6]),
    ];
    // Rung 1 has three results: trial 0 (0.2) goes to rung 2, although trial 3 is promotable at rung 0.
    expect(asha.next(trials)).toEqual({ kind: "promote", trial: 0, rung: 2 });
  });

  it("never promotes a failed, running or top-rung trial", () => {
    expect(asha.next([trial(0, [1], { failed: true }), trial(1, [2]), trial(2, [3])])).toEqual({ kind: "new", rung: 0, bracket: 0 });
    expect(asha.next([trial(0, [1], { running: 1 }), trial(1, [2]), trial(2, [3])])).toEqual({ kind: "new", rung: 0, bracket: 0 });
    expect(asha.promotable([trial(0, [1, 1, 1]), trial(1, [2, 2, 2]), trial(2, [3, 3, 3])], 0, 2)).toEqual([]);
  });

  it("on learning curves whose ranking holds, sends the best configuration to the full budget at a third of the compute", () => {
    // Curves value(r) = a + 1/r with distinct asymptotes a: the ranking at any budget is the final ranking.
    const asymptotes = [0.9, 0.3, 0.7, 0.1, 0.5, 0.8, 0.6, 0.2, 0.4];
    const outcome = simulate(asha, (t, budget) => asymptotes[t]! + 1 / budget, asymptotes.length);
    expect(outcome.top).toEqual([3]);
    // Full-fidelity search of the same 9 configurations: 81 steps; ASHA with checkpoint resume far less.
    expect(outcome.steps).toBeLessThanOrEqual(81 / 3);
  });
});

describe("SuccessiveHalving as asynchronous Hyperband (several brackets)", () => {
  const hyperband = new SuccessiveHalving({ min: 1, max: 9, reductionFactor: 3, brackets: 3 });

  it("spreads new configurations over the brackets in Hyperband's proportions η^s/(s+1): 3 : 1.5 : 1", () => {
    const trials: RungTrial[] = [];
    for (let i = 0; i < 11; i++) {
      const bracket = hyperband.bracketForNew(trials);
      trials.push({ number: i, bracket, values: new Map(), running: bracket });
    }
    const counts = [0, 1, 2].map((b) => trials.filter((t) => t.bracket === b).length);
    expect(counts).toEqual([6, 3, 2]);
    // A new configuration starts at the base rung of its bracket: bracket 2 trains at full budget at once.
    expect(hyperband.next(trials.slice(0, 0))).toEqual({ kind: "new", rung: 0, bracket: 0 });
  });

  it("ranks trials only against their own bracket", () => {
    // Bracket 1 starts at rung 1: three results there promote its best, although bracket 0's rung-1 trial is better.
    const trials: RungTrial[] = [
      { number: 0, bracket: 0, values: new Map([[0, 1], [1, 0.1]]) },
      { number: 1, bracket: 1, values: new Map([[1, 0.5]]) },
      { number: 2, bracket: 1, values: new Map([[1, 0.4]]) },
      { number: 3, bracket: 1, values: new Map([[1, 0.6]]) },
    ];
    expect(hyperband.next(trials)).toEqual({ kind: "promote", trial: 2, rung: 2 });
  });

  it("refuses more brackets than rungs", () => {
    expect(() => new SuccessiveHalving({ min: 1, max: 9, brackets: 4 })).toThrow(/brackets must be an integer in \[1, 3\]/);
  });
});

describe("StagedScreen: 3 configs at 100 steps, the best 2 at 500, the best 1 at 1000", () => {
  const screen = new StagedScreen([
    { trials: 3, fidelity: 100 },
    { trials: 2, fidelity: 500 },
    { trials: 1, fidelity: 1000 },
  ]);

  it("starts the first stage, waits for it to settle, promotes the best in order, and ends", () => {
    expect(screen.rungs).toEqual([100, 500, 1000]);
    expect(screen.next([trial(0, [], { running: 0 }), trial(1, [], { running: 0 })])).toEqual({ kind: "new", rung: 0, bracket: 0 });
    // Stage 0 full but one still running: wait, do not promote on partial results.
    expect(screen.next([trial(0, [3]), trial(1, [1]), trial(2, [], { running: 0 })])).toEqual({ kind: "wait" });
    const settled = [trial(0, [3]), trial(1, [1]), trial(2, [2])];
    expect(screen.next(settled)).toEqual({ kind: "promote", trial: 1, rung: 1 });
    expect(screen.next([trial(0, [3]), trial(1, [1], { running: 1 }), trial(2, [2])])).toEqual({ kind: "promote", trial: 2, rung: 1 });
    expect(screen.next([trial(0, [3]), trial(1, [1], { running: 1 }), trial(2, [2, 0.5])])).toEqual({ kind: "wait" });
    expect(screen.next([trial(0, [3]), trial(1, [1, 0.7]), trial(2, [2, 0.5])])).toEqual({ kind: "promote", trial: 2, rung: 2 });
    expect(screen.next([trial(0, [3]), trial(1, [1, 0.7]), trial(2, [2, 0.5, 0.4])])).toEqual({ kind: "done" });
  });

  it("never promotes a trial that failed, and counts it as having taken its place in the stage", () => {
    const trials = [trial(0, [], { failed: true }), trial(1, [2]), trial(2, [1])];
    expect(screen.next(trials)).toEqual({ kind: "promote", trial: 2, rung: 1 });
    expect(screen.next([trial(0, [], { failed: true }), trial(1, [2], { running: 1 }), trial(2, [1, 0.3])])).toEqual({ kind: "wait" });
  });

  it("refuses stages that grow or do not climb", () => {
    expect(() => new StagedScreen([])).toThrow(InvalidArgumentError);
    expect(() => new StagedScreen([{ trials: 2, fidelity: 100 }, { trials: 3, fidelity: 500 }])).toThrow(/at most the previous stage's trials/);
    expect(() => new StagedScreen([{ trials: 2, fidelity: 100 }, { trials: 1, fidelity: 100 }])).toThrow(/larger fidelity/);
  });
});

describe("medianStoppingDecision", () => {
  /** A constant curve at `value` over steps 1..n. */
  const flat = (value: number, n = 10): LearningCurve => Array.from({ length: n }, (_, i) => [i + 1, value] as const);
  const others = [1, 2, 3, 4, 5].map((v) => flat(v));

  it("stops a trial whose best is worse than the median of the others' running means", () => {
    expect(medianStoppingDecision(flat(3.5), others)).toBe(true);
    expect(medianStoppingDecision(flat(2.5), others)).toBe(false);
  });

  it("judges a noisy curve by its best value, not its last", () => {
    const noisy: LearningCurve = [[1, 2.0], [2, 9.0]];
    expect(medianStoppingDecision(noisy, others)).toBe(false);
  });

  it("compares at the trial's step only with trials that reached it", () => {
    // Only three others reached step 10: fewer than minTrials = 5, no decision.
    const short = [flat(1, 5), flat(2, 5), flat(0.5, 10), flat(0.6, 10), flat(0.7, 10)];
    expect(medianStoppingDecision(flat(3.5), short)).toBe(false);
    expect(medianStoppingDecision(flat(3.5), short, { minTrials: 3 })).toBe(true);
  });

  it("waits out the grace period, and stops a diverged (NaN) curve at once", () => {
    expect(medianStoppingDecision(flat(3.5, 4), others, { graceSteps: 5 })).toBe(false);
    expect(medianStoppingDecision([[1, 1], [2, Number.NaN]], others)).toBe(true);
    expect(medianStoppingDecision([], others)).toBe(false);
  });
});

describe("MedianStoppingScheduler: the median rule at each rung", () => {
  const median = new MedianStoppingScheduler({ min: 1, max: 9, reductionFactor: 3, minTrials: 3 });

  it("lets everyone go on until minTrials others reached the rung, best first", () => {
    expect(median.rungs).toEqual([1, 3, 9]);
    expect(median.next([])).toEqual({ kind: "new", rung: 0, bracket: 0 });
    // Only two others at rung 0: no decision, so the worse trial also continues (after the better one).
    expect(median.next([trial(0, [5]), trial(1, [1]), trial(2, [3])])).toEqual({ kind: "promote", trial: 1, rung: 1 });
    expect(median.next([trial(0, [5]), trial(1, [1], { running: 1 }), trial(2, [3], { running: 1 })])).toEqual({ kind: "promote", trial: 0, rung: 1 });
  });

  it("stops a trial worse than the median of the others at its rung, and goes on with one better", () => {
    const others = [trial(1, [1]), trial(2, [2]), trial(3, [3])].map((t) => ({ ...t, running: 1 }));
    // Median of the others' rung-0 values is 2: 2.5 stops (a new configuration instead), 1.5 goes on.
    expect(median.next([...others, trial(0, [2.5])])).toEqual({ kind: "new", rung: 0, bracket: 0 });
    expect(median.next([...others, trial(0, [1.5])])).toEqual({ kind: "promote", trial: 0, rung: 1 });
  });

  it("judges a higher rung by the trial's best value against the others' running means", () => {
    // Others' running means at rung 1: (4+2)/2 = 3, (4+4)/2 = 4, (6+4)/2 = 5 → median 4.
    const others = [trial(1, [4, 2]), trial(2, [4, 4]), trial(3, [6, 4])].map((t) => ({ ...t, running: 2 }));
    expect(median.next([...others, trial(0, [3.9, 4.5])])).toEqual({ kind: "promote", trial: 0, rung: 2 });
    expect(median.next([...others, trial(0, [4.1, 4.5])])).toEqual({ kind: "new", rung: 0, bracket: 0 });
  });

  it("never continues a failed trial, and prefers the highest rung's continuation", () => {
    const others = [trial(1, [1]), trial(2, [2]), trial(3, [3])];
    expect(median.next([trial(0, [0.5], { failed: true }), ...others.map((t) => ({ ...t, running: 1 }))])).toEqual({ kind: "new", rung: 0, bracket: 0 });
    expect(median.next([trial(0, [1, 1]), trial(4, [1]), ...others])).toEqual({ kind: "promote", trial: 0, rung: 2 });
  });

  it("on curves with known asymptotes, spends less than running everyone and keeps the best at the top", () => {
    const asymptotes = [3, 1, 4, 1.5, 5, 9, 2, 6, 0.5, 7, 8, 2.5];
    const outcome = simulate(median, (t, budget) => asymptotes[t]! + 1 / budget, asymptotes.length);
    expect(outcome.top).toContain(8);
    expect(outcome.top).not.toContain(5);
    expect(outcome.steps).toBeLessThan(asymptotes.length * 9);
  });

  it("is built from a study's scheduler spec, and refuses a bad minTrials", () => {
    const built = schedulerFromSpec({ type: "median", minTrials: 2 }, { name: "steps", min: 10, max: 90, reductionFactor: 3, integer: true });
    expect(built.rungs).toEqual([10, 30, 90]);
    expect(() => new MedianStoppingScheduler({ min: 1, max: 9, minTrials: 0 })).toThrow(InvalidArgumentError);
  });
});

/**
 * Runs a scheduler on one slot to its end or `configs` new configurations: each
 * job trains from the trial's last rung (checkpoint resume), so a promotion costs
 * only the new steps. Returns the trials that reached the top rung and the steps spent.
 */
function simulate(scheduler: Scheduler, curve: (trial: number, budget: number) => number, configs: number): { top: number[]; steps: number } {
  const trials: { number: number; bracket: number; values: Map<number, number> }[] = [];
  let steps = 0;
  for (let guard = 0; guard < 1000; guard++) {
    const decision = scheduler.next(trials);
    if (decision.kind === "new") {
      if (trials.length === configs) break;
      const t = { number: trials.length, bracket: decision.bracket, values: new Map<number, number>() };
      trials.push(t);
      steps += scheduler.rungs[decision.rung]!;
      t.values.set(decision.rung, curve(t.number, scheduler.rungs[decision.rung]!));
    } else if (decision.kind === "promote") {
      const t = trials[decision.trial]!;
      steps += scheduler.rungs[decision.rung]! - scheduler.rungs[decision.rung - 1]!;
      t.values.set(decision.rung, curve(t.number, scheduler.rungs[decision.rung]!));
    } else {
      break;
    }
  }
  const top = scheduler.rungs.length - 1;
  return { top: trials.filter((t) => t.values.has(top)).map((t) => t.number), steps };
}
