import { describe, expect, it } from "vitest";
import { regretsAt, trialsToReach, wilcoxonSignedRankP } from "../bench/batch/metrics.js";
import { trialDurations, type AsyncRun } from "../bench/batch/simulate.js";

const run = (seed: number, bestSoFar: (number | null)[]): AsyncRun => ({ problem: "p", seed, slots: 4, bestSoFar, pendingAtAsk: [], failed: 0 });

describe("batch bench: trials to the sequential regret", () => {
  it("finds the first count where the median over seeds reaches the target", () => {
    // f* = 0: log10 regrets 0, −1, −2 … Seed medians by count: 1, 0.1, 0.1, 0.01 → log10 0, −1, −1, −2.
    const runs = [run(0, [1, 0.1, 0.1, 0.01]), run(1, [10, 1, 0.1, 0.01]), run(2, [1, 0.1, 0.01, 0.01])];
    expect(regretsAt(runs, 2, 0)).toEqual([-1, 0, -1]);
    expect(trialsToReach(runs, -1, 0)).toBe(2);
    expect(trialsToReach(runs, -1.5, 0)).toBe(4);
    expect(trialsToReach(runs, -3, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it("counts a run with no finite value yet as infinite regret", () => {
    expect(regretsAt([run(0, [null, 2])], 1, 0)).toEqual([Number.POSITIVE_INFINITY]);
  });
});

describe("batch bench: Wilcoxon signed-rank, normal approximation", () => {
  it("matches the hand computation for ten positive differences", () => {
    // W⁺ = 55, E = 27.5, Var = 10·11·21/24 = 96.25, z = 27/√96.25 (continuity-corrected).
    const a = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(wilcoxonSignedRankP(a, new Array<number>(10).fill(0))).toBeCloseTo(0.005921537, 5);
  });

  it("corrects the variance for tied magnitudes and drops zero differences", () => {
    // Differences 1, 1, 2, −3 (and a zero): ranks 1.5, 1.5, 3, 4; W⁺ = 6, E = 5,
    // Var = 4·5·9/24 − (2³ − 2)/48 = 7.375, z = 0.5/√7.375.
    expect(wilcoxonSignedRankP([1, 1, 2, 0, 5], [0, 0, 0, 3, 5])).toBeCloseTo(0.853923299, 5);
  });

  it("is symmetric in its two samples", () => {
    const a = [0.3, -1.2, 2.5, 0.7, -0.4, 1.9];
    const b = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    expect(wilcoxonSignedRankP(a, b)).toBeCloseTo(wilcoxonSignedRankP(b, a), 12);
  });
});

describe("batch bench: trial durations", () => {
  it("are the same stream for a seed whatever the count, and differ between seeds", () => {
    const long = trialDurations(3, 20);
    expect(trialDurations(3, 5)).toEqual(long.slice(0, 5));
    expect(trialDurations(4, 5)).not.toEqual(long.slice(0, 5));
    expect(Math.min(...long)).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...long)).toBeLessThan(1.5);
  });
});
