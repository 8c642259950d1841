import { describe, expect, it } from "vitest";
import { StudyConfig, TrialResult, type StudyConfigInput, type TrialJob } from "@bayestune/protocol";
import { MemoryStore, type StoredTrial } from "@bayestune/store";
import { budgetSpent, StudyDriver, type TrialSlots } from "../src/index.js";

function config(overrides: Partial<StudyConfigInput> = {}): StudyConfig {
  return StudyConfig.parse({
    name: "s",
    space: { x: { type: "float", low: 0, high: 1 }, y: { type: "float", low: 0, high: 1 } },
    sampler: { type: "gp", nInitial: 4 },
    seed: 3,
    maxTrials: 12,
    command: { argv: ["train"] },
    ...overrides,
  });
}

/** A quadratic bowl: the result a worker would report for a job. */
function resultOf(job: TrialJob): TrialResult {
  const { x, y } = job.params as { x: number; y: number };
  return TrialResult.parse({ kind: "result", study: job.study, trial: job.trial, rung: job.rung, state: "complete", value: (x - 0.3) ** 2 + (y - 0.7) ** 2, durationSeconds: 0, worker: "w" });
}

/** Slots run in this process: a started job waits in `started` until the test delivers its result; stop requests are kept in `stops`. */
function inProcessSlots(count: number): TrialSlots & { started: TrialJob[]; stops: number[] } {
  const started: TrialJob[] = [];
  const stops: number[] = [];
  return {
    started,
    stops,
    free: async (engine) => count - engine.running,
    async start(job) {
      started.push(job);
    },
    async stop(trial) {
      stops.push(trial.number);
    },
  };
}

/** Runs the study to its end, one result at a time (oldest job first), filling after each; returns every job in start order. */
async function runToEnd(driver: StudyDriver, slots: { started: TrialJob[] }, delivered = 0, stopAfter = Infinity): Promise<TrialJob[]> {
  let next = delivered;
  while (driver.outcome() === undefined && next < stopAfter) {
    const job = slots.started[next++];
    if (job === undefined) throw new Error("the driver waits with no job started");
    await driver.applyResult(resultOf(job));
    await driver.fill();
  }
  return slots.started;
}

/**
 * Runs the study to its end as a worker would with a pruner: each job reports
 * steps 1..3 (its bowl value plus 0.1 / step) and ends after the step at which
 * the driver asked its slot to stop it (stopped, worth its last report), else
 * complete at step 3; stops once `stopAfter` jobs ended.
 */
async function runWithProgress(driver: StudyDriver, slots: { started: TrialJob[]; stops: number[] }, delivered = 0, stopAfter = Infinity): Promise<TrialJob[]> {
  let next = delivered;
  while (driver.outcome() === undefined && next < stopAfter) {
    const job = slots.started[next++];
    if (job === undefined) throw new Error("the driver waits with no job started");
    const bowl = resultOf(job).value!;
    let value = bowl;
    for (let step = 1; step <= 3 && !slots.stops.includes(job.trial); step++) {
      value = bowl + 0.1 / step;
      await driver.applyProgress({ kind: "progress", study: job.study, trial: job.trial, rung: job.rung, step, metrics: { loss: value } });
    }
    const stopped = slots.stops.includes(job.trial);
    await driver.applyResult(TrialResult.parse({ ...resultOf(job), value, ...(stopped ? { stopped: true } : {}) }));
    await driver.fill();
  }
  return slots.started;
}

describe("StudyDriver", () => {
  it("runs a 1-slot study to maxTrials, sequentially: every job starts after the last result was applied", async () => {
    const store = new MemoryStore();
    const slots = inProcessSlots(1);
    const driver = await StudyDriver.open(config(), store, slots);
    await driver.fill();
    expect(slots.started).toHaveLength(1);
    const jobs = await runToEnd(driver, slots);
    expect(jobs.map((j) => j.trial)).toEqual([...Array(12).keys()]);
    const trials = await store.getTrials("s");
    for (let k = 1; k < trials.length; k++) expect(trials[k]!.createdAt).toBeGreaterThanOrEqual(trials[k - 1]!.finishedAt!);
    const outcome = driver.outcome()!;
    expect(outcome.finished).toBe(12);
    expect(outcome.best?.value).toBe(Math.min(...trials.map((t) => t.value!)));
  });

  it("reopened on the store mid-study, proposes exactly what the uninterrupted driver proposed", async () => {
    const reference = inProcessSlots(1);
    const uninterrupted = await StudyDriver.open(config(), new MemoryStore(), reference);
    await uninterrupted.fill();
    const expected = await runToEnd(uninterrupted, reference);

    const store = new MemoryStore();
    const first = inProcessSlots(1);
    const before = await StudyDriver.open(config(), store, first);
    await before.fill();
    // Stopped with trial 7's job running: the second driver restarts it, then goes on.
    await runToEnd(before, first, 0, 7);
    const second = inProcessSlots(1);
    const after = await StudyDriver.open(config(), store, second);
    await after.resumeRunning();
    expect(second.started.map((j) => j.trial)).toEqual([7]);
    await after.fill();
    expect(second.started).toHaveLength(1);
    await runToEnd(after, second);
    const resumed = [...first.started.slice(0, 7), ...second.started];
    expect(resumed.map((j) => j.params)).toEqual(expected.map((j) => j.params));
  });

  it("with a pruner, stops a trial once, stores it pruned, and reopened mid-study proposes what the uninterrupted driver proposed", async () => {
    const pruned = config({ pruner: { type: "median", minTrials: 2 } });
    const reference = inProcessSlots(1);
    const uninterrupted = await StudyDriver.open(pruned, new MemoryStore(), reference);
    await uninterrupted.fill();
    const expected = await runWithProgress(uninterrupted, reference);
    const trials = uninterrupted.engine.trials;
    expect(trials.filter((t) => t.state === "pruned").map((t) => t.number)).toEqual(reference.stops);
    expect(new Set(reference.stops).size).toBe(reference.stops.length);
    // Pruned before the restart below, so that the asks after it differ if a pruned trial counts as pending in one driver and not the other.
    expect(reference.stops.filter((n) => n < 7).length).toBeGreaterThan(0);
    for (const n of reference.stops) expect(trials[n]!.value).toBe(trials[n]!.intermediate.at(-1)!.metrics["loss"]);

    const store = new MemoryStore();
    const first = inProcessSlots(1);
    const before = await StudyDriver.open(pruned, store, first);
    await before.fill();
    await runWithProgress(before, first, 0, 7);
    const second = inProcessSlots(1);
    const after = await StudyDriver.open(pruned, store, second);
    await after.resumeRunning();
    await after.fill();
    await runWithProgress(after, second);
    const resumed = [...first.started.slice(0, 7), ...second.started];
    expect(resumed.map((j) => j.params)).toEqual(expected.map((j) => j.params));
  });

  it("with several slots, starts a batch and never more jobs than slots, and stops at maxTrials", async () => {
    const slots = inProcessSlots(4);
    const driver = await StudyDriver.open(config({ maxTrials: 10 }), new MemoryStore(), slots);
    await driver.fill();
    expect(slots.started).toHaveLength(4);
    await driver.applyResult(resultOf(slots.started[0]!));
    await driver.applyResult(resultOf(slots.started[1]!));
    await driver.fill();
    expect(slots.started).toHaveLength(6);
    expect(driver.engine.running).toBe(4);
    await runToEnd(driver, slots, 2);
    expect(slots.started).toHaveLength(10);
  });

  it("fails a lost job's trial as worker-lost once, and leaves a trial whose result came first alone", async () => {
    const slots = inProcessSlots(2);
    const store = new MemoryStore();
    const driver = await StudyDriver.open(config(), store, slots);
    await driver.fill();
    await driver.applyResult(resultOf(slots.started[0]!));
    await driver.failLost(0, 0, "gone", 3);
    await driver.failLost(1, 0, "gone", 3);
    expect((await store.getTrial("s", 0))?.state).toBe("complete");
    expect(await store.getTrial("s", 1)).toMatchObject({ state: "failed", reason: "worker-lost", message: "gone" });
    expect(driver.engine.trials[1]?.state).toBe("failed");
  });

  it("under ASHA pauses a trial below the top rung, promotes the best, and counts the budget promotions spent", async () => {
    const slots = inProcessSlots(1);
    const driver = await StudyDriver.open(config({ sampler: "sobol", maxTrials: 9, fidelity: { min: 1, max: 9 }, scheduler: { type: "asha" } }), new MemoryStore(), slots);
    await driver.fill();
    const first = await driver.applyResult(resultOf(slots.started[0]!));
    expect(first.trial.state).toBe("paused");
    await driver.fill();
    await runToEnd(driver, slots, 1);
    const trials = driver.engine.trials;
    expect(trials.some((t) => t.rung > 0)).toBe(true);
    expect(trials.every((t) => t.state === "paused" || t.state === "complete")).toBe(true);
    // Without checkpoints a promoted job starts over: it costs its rung's whole budget.
    const perJob = slots.started.reduce((sum, job) => sum + job.fidelity!, 0);
    expect(budgetSpent(trials)).toBe(perJob);
  });
});

describe("budgetSpent", () => {
  const trial = (rungs: Array<{ fidelity: number; checkpoint?: string }>, state: StoredTrial["state"], fidelity: number): StoredTrial => ({
    study: "s",
    number: 0,
    params: {},
    state,
    rung: state === "paused" || state === "complete" ? rungs.length - 1 : rungs.length,
    fidelity,
    intermediate: [],
    rungs: rungs.map((r, rung) => ({ rung, value: 1, finishedAt: 0, ...r })),
    source: "sampler",
    attempts: 1,
    createdAt: 0,
  });

  it("counts a resumed rung's new budget only, a restarted one in full, and the running or failed job after the last rung", () => {
    expect(budgetSpent([trial([{ fidelity: 1, checkpoint: "a" }, { fidelity: 3, checkpoint: "b" }, { fidelity: 9 }], "complete", 9)])).toBe(9);
    expect(budgetSpent([trial([{ fidelity: 1 }, { fidelity: 3 }], "paused", 3)])).toBe(4);
    expect(budgetSpent([trial([{ fidelity: 1, checkpoint: "a" }], "running", 3)])).toBe(3);
    expect(budgetSpent([trial([{ fidelity: 1 }], "failed", 3)])).toBe(4);
  });
});
