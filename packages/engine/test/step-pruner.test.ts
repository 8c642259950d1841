import { describe, expect, it } from "vitest";
import { StudyConfig, type ProgressEvent, type StudyConfigInput } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import { StepPruner } from "../src/step-pruner.js";

function config(overrides: Partial<StudyConfigInput> = {}): StudyConfig {
  return StudyConfig.parse({
    name: "s",
    space: { x: { type: "float", low: 0, high: 1 } },
    maxTrials: 20,
    command: { argv: ["train"] },
    pruner: { type: "median", minTrials: 3 },
    ...overrides,
  });
}

const report = (trial: number, step: number, loss: number | null): ProgressEvent => ({ kind: "progress", study: "s", trial, rung: 0, step, metrics: { loss } });

/** A finished trial whose curve was `losses` at steps 1, 2, ... */
function finished(number: number, losses: readonly number[]): StoredTrial {
  return {
    study: "s",
    number,
    params: { x: 0 },
    state: "complete",
    value: losses.at(-1)!,
    rung: 0,
    intermediate: losses.map((loss, i) => ({ rung: 0, step: i + 1, metrics: { loss } })),
    rungs: [],
    source: "sampler",
    attempts: 1,
    createdAt: 0,
  };
}

describe("StepPruner (median stopping at every reported step)", () => {
  const history = [finished(0, [4, 3, 2]), finished(1, [5, 4, 3]), finished(2, [6, 5, 4])];

  it("stops a trial at the first step where its best value is worse than the median of the others' running means, once", () => {
    const pruner = new StepPruner(config(), history);
    // Running means at step 1: 4, 5, 6 (median 5); at step 2: 3.5, 4.5, 5.5 (median 4.5). Then trial 3 counts too.
    expect(pruner.observe(report(3, 1, 4.9))).toBe(false);
    expect(pruner.observe(report(3, 2, 4.4))).toBe(false);
    expect(pruner.observe(report(4, 1, 5.1))).toBe(true);
    expect(pruner.observe(report(4, 2, 9))).toBe(false);
  });

  it("waits for minTrials others at the step, and for graceSteps", () => {
    expect(new StepPruner(config({ pruner: { type: "median", minTrials: 4 } }), history).observe(report(3, 1, 100))).toBe(false);
    const graced = new StepPruner(config({ pruner: { type: "median", minTrials: 3, graceSteps: 2 } }), history);
    expect(graced.observe(report(3, 1, 100))).toBe(false);
    expect(graced.observe(report(3, 2, 100))).toBe(true);
  });

  it("ranks by the study's direction: when maximising, a low value is the bad one", () => {
    const pruner = new StepPruner(config({ direction: "maximize" }), history);
    expect(pruner.observe(report(3, 1, 5.1))).toBe(false);
    expect(pruner.observe(report(4, 1, 4.9))).toBe(true);
  });

  it("stops a diverged trial (a null report) at once, and learns the running trials' curves from their reports", () => {
    const pruner = new StepPruner(config(), []);
    expect(pruner.observe(report(0, 1, null))).toBe(true);
    for (const [trial, loss] of [[1, 4], [2, 5], [3, 6]] as const) expect(pruner.observe(report(trial, 1, loss))).toBe(false);
    expect(pruner.observe(report(4, 1, 5.5))).toBe(true);
  });
});
