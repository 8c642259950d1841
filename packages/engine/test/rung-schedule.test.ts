import { describe, expect, it } from "vitest";
import { StudyConfig, type StudyConfigInput } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import { RungSchedule } from "../src/rung-schedule.js";

function config(overrides: Partial<StudyConfigInput>): StudyConfig {
  return StudyConfig.parse({
    name: "s",
    space: { x: { type: "float", low: 0, high: 1 } },
    sampler: "sobol",
    maxTrials: 9,
    command: { argv: ["train"] },
    fidelity: { min: 1, max: 9 },
    scheduler: { type: "asha" },
    ...overrides,
  });
}

/** A stored trial that completed the given store rungs with these values, in `state`. */
function stored(number: number, values: number[], state: StoredTrial["state"] = "paused", checkpoint?: string): StoredTrial {
  return {
    study: "s",
    number,
    params: { x: number / 10 },
    state,
    rung: Math.max(0, values.length - 1),
    intermediate: [],
    rungs: values.map((value, rung) => ({ rung, value, finishedAt: 0 })),
    source: "sampler",
    attempts: 1,
    createdAt: 0,
    ...(checkpoint !== undefined ? { checkpoint } : {}),
  };
}

describe("RungSchedule", () => {
  it("promotes the best of three paused trials one store rung up, at the next budget, with its checkpoint", () => {
    const schedule = new RungSchedule(config({}));
    const trials = [stored(0, [5]), stored(1, [1], "paused", "/ckpt/1"), stored(2, [3])];
    expect(schedule.next(trials, 9)).toEqual({ kind: "promote", trial: 1, rung: 1, fidelity: 3, checkpoint: "/ckpt/1" });
    expect(schedule.isTopRung(1, 1)).toBe(false);
    expect(schedule.isTopRung(1, 2)).toBe(true);
  });

  it("ranks by the study's direction: when maximising, the largest value goes up", () => {
    const schedule = new RungSchedule(config({ direction: "maximize" }));
    expect(schedule.next([stored(0, [5]), stored(1, [1]), stored(2, [3])], 9)).toMatchObject({ kind: "promote", trial: 0 });
  });

  it("starts new configurations until maxTrials, then waits for running jobs, then is done", () => {
    const schedule = new RungSchedule(config({}));
    expect(schedule.next([], 9)).toEqual({ kind: "new", fidelity: 1 });
    const two = [stored(0, [5]), stored(1, [], "running")];
    expect(schedule.next(two, 2)).toBe("wait");
    expect(schedule.next([stored(0, [5]), stored(1, [4])], 2)).toBe("done");
  });

  it("maps a Hyperband bracket's store rungs onto the study's budgets: bracket b starts at rung b", () => {
    const schedule = new RungSchedule(config({ scheduler: { type: "hyperband" }, maxTrials: 11 }));
    const brackets = Array.from({ length: 11 }, (_, i) => schedule.bracketOf(i));
    expect(brackets.filter((b) => b === 0)).toHaveLength(6);
    expect(brackets.filter((b) => b === 1)).toHaveLength(3);
    expect(brackets.filter((b) => b === 2)).toHaveLength(2);
    const b2 = brackets.indexOf(2);
    expect(schedule.fidelityOf(b2, 0)).toBe(9);
    expect(schedule.isTopRung(b2, 0)).toBe(true);
    const b1 = brackets.indexOf(1);
    expect(schedule.fidelityOf(b1, 1)).toBe(9);
    expect(() => schedule.fidelityOf(b1, 2)).toThrow(/has no rung 2/);
    // A fresh schedule recomputes the same brackets from the trial numbers alone, as after a restart.
    const again = new RungSchedule(config({ scheduler: { type: "hyperband" }, maxTrials: 11 }));
    expect(Array.from({ length: 11 }, (_, i) => again.bracketOf(10 - i)).reverse()).toEqual(brackets);
  });

  it("needs a scheduler", () => {
    expect(() => new RungSchedule(StudyConfig.parse({ name: "s", space: { x: { type: "float", low: 0, high: 1 } }, maxTrials: 3, command: { argv: ["t"] } }))).toThrow(/has no scheduler/);
  });
});
