import { describe, expect, it } from "vitest";
import { rungLadder } from "@bayestune/core";
import { StudyConfig, TrialResult, type StudyConfigInput, type TrialJob } from "@bayestune/protocol";
import { MemoryStore } from "@bayestune/store";
import { budgetLadder, budgetSpent, StudyDriver, type TrialSlots } from "../src/index.js";

function config(overrides: Partial<StudyConfigInput> = {}): StudyConfig {
  return StudyConfig.parse({
    name: "ft",
    space: { lr: { type: "float", low: 1e-4, high: 1, log: true }, wd: { type: "float", low: 0, high: 1 } },
    sampler: { type: "gp", nInitial: 5 },
    seed: 2,
    maxTrials: 40,
    fidelity: { min: 10, max: 160 },
    scheduler: { type: "freeze-thaw", budget: 1600 },
    command: { argv: ["train"] },
    ...overrides,
  });
}

/**
 * Curves that cross: loss falls as 1/√steps towards a floor set by lr (best at
 * lr = 0.01) and wd, but a high lr falls faster at first, so the early leaders
 * are not the final ones.
 */
function lossOf(params: TrialJob["params"], steps: number): number {
  const { lr, wd } = params as { lr: number; wd: number };
  const floor = Math.abs(Math.log10(lr) + 2) + 0.3 * (wd - 0.2) ** 2;
  const speed = 1 + 4 * Math.min(1, lr * 10);
  return floor + 3 / Math.sqrt(steps * speed);
}

function resultOf(job: TrialJob): TrialResult {
  const steps = job.fidelity!;
  return TrialResult.parse({ kind: "result", study: job.study, trial: job.trial, rung: job.rung, state: "complete", value: lossOf(job.params, steps), checkpoint: `steps:${steps}`, durationSeconds: 0, worker: "w" });
}

function slots(count: number): TrialSlots & { started: TrialJob[] } {
  const started: TrialJob[] = [];
  return { started, free: async (engine) => count - engine.running, start: async (job) => void started.push(job), stop: async () => undefined };
}

async function runToEnd(driver: StudyDriver, started: TrialJob[], from = 0, until = Infinity): Promise<number> {
  let next = from;
  while (driver.outcome() === undefined && next < until) {
    const job = started[next++];
    if (job === undefined) throw new Error("the driver waits with no job started");
    await driver.applyResult(resultOf(job));
    await driver.fill();
  }
  return next;
}

describe("budgetLadder", () => {
  it("multiplies the budget by the growth factor from min and ends at max", () => {
    expect(budgetLadder(27, 729, 2)).toEqual([27, 54, 108, 216, 432, 729]);
    expect(budgetLadder(10, 80, 2)).toEqual([10, 20, 40, 80]);
    // With growth = η it is ASHA's ladder.
    expect(budgetLadder(16, 384, 3)).toEqual(rungLadder({ min: 16, max: 384, reductionFactor: 3 }));
    expect(budgetLadder(0.5, 2, 1.5, false)).toEqual([0.5, 0.75, 1.125, 1.6875, 2]);
    expect(budgetLadder(5, 5, 2)).toEqual([5]);
  });
});

describe("freeze-thaw schedule", () => {
  it("pauses trials at every increment, resumes them from their checkpoints, stops at its budget and finds the floor", async () => {
    const c = config();
    const s = slots(1);
    const driver = await StudyDriver.open(c, new MemoryStore(), s);
    await driver.fill();
    await runToEnd(driver, s.started);
    const outcome = driver.outcome()!;
    const trials = driver.engine.trials;
    const ladder = [10, 20, 40, 80, 160];
    for (const job of s.started) {
      expect(job.fidelity).toBe(ladder[job.rung]);
      // A continued trial resumes from the increment before.
      if (job.rung > 0) expect(job.checkpoint).toBe(`steps:${ladder[job.rung - 1]}`);
    }
    // The last job started before the budget ran out, and none after it.
    const spent = budgetSpent(trials);
    expect(spent).toBeGreaterThanOrEqual(1600);
    expect(spent - (s.started.at(-1)!.fidelity! - (s.started.at(-1)!.rung > 0 ? ladder[s.started.at(-1)!.rung - 1]! : 0))).toBeLessThan(1600);
    // It spent far less than running every configuration it tried to the end.
    expect(spent).toBeLessThan(trials.length * 160 * 0.6);
    // Trials stopped at different increments, not only the full budget or the first.
    const stoppedAt = new Set(trials.filter((t) => t.state === "paused").map((t) => t.rung));
    expect(stoppedAt.size).toBeGreaterThanOrEqual(2);
    // The best full-budget floor is 3/√(160·(1 + 4·0.1)) = 0.2 at lr = 0.01, wd = 0.2.
    expect(outcome.best?.value).toBeLessThan(0.35);
  });

  it("ends when every configuration it may create has run to the end, before the budget", async () => {
    const s = slots(2);
    const driver = await StudyDriver.open(config({ maxTrials: 6, scheduler: { type: "freeze-thaw", budget: 1e6 } }), new MemoryStore(), s);
    await driver.fill();
    await runToEnd(driver, s.started);
    const trials = driver.engine.trials;
    expect(trials).toHaveLength(6);
    expect(trials.every((t) => t.state === "complete" && t.fidelity === 160)).toBe(true);
  });

  it("goes on after a restart from what the store holds, and ends at the same budget", async () => {
    const c = config();
    const store = new MemoryStore();
    const first = slots(2);
    const driver = await StudyDriver.open(c, store, first);
    await driver.fill();
    const delivered = await runToEnd(driver, first.started, 0, 25);
    // The restarted driver gets the jobs still running handed to its slots again, then carries on.
    const second = slots(2);
    const reopened = await StudyDriver.open(c, store, second);
    await reopened.resumeRunning();
    const key = (j: TrialJob): string => `${j.trial}/${j.rung}/${j.fidelity}/${j.checkpoint ?? "-"}`;
    expect(second.started.map(key).sort()).toEqual(first.started.slice(delivered).map(key).sort());
    await reopened.fill();
    await runToEnd(reopened, second.started);
    expect(budgetSpent(reopened.engine.trials)).toBeGreaterThanOrEqual(1600);
    expect(reopened.outcome()?.best).toBeDefined();
  });

  it("refuses a freeze-thaw scheduler without a fidelity", () => {
    expect(() => config({ fidelity: undefined })).toThrow(/freeze-thaw.{0,4}" needs a fidelity \(min, max\)/);
  });
});
