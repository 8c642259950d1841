import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { resultsQueueName, SECRET_ENV, signMessage, TRIALS_QUEUE, type StudyConfig, type TrialJob } from "@bayestune/protocol";
import { RedisStore, type StoredTrial, createTrial } from "@bayestune/store";
import { startCoordinator, type Coordinator } from "../src/coordinator.js";
import { cliPath } from "../../../test/support/run-cli.js";
import {
  capturingLogger,
  cleanUp,
  objective,
  REDIS_URL,
  startSimulatedWorkers,
  TEST_SECRET,
  testConfig,
  uniquePrefix,
  type SimulatedWorkers,
} from "../../../test/support/simulated-workers.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

let prefix: string;
const toClose: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  for (const resource of toClose.splice(0).reverse()) await resource.close();
  await cleanUp(prefix);
});

function open<T extends { close(): Promise<void> }>(resource: T): T {
  toClose.push(resource);
  return resource;
}

async function storedTrials(config: StudyConfig): Promise<StoredTrial[]> {
  const store = new RedisStore({ redis: REDIS_URL, prefix: `${prefix}:bayestune` });
  try {
    return (await store.getStudy(config.name)) === undefined ? [] : await store.getTrials(config.name);
  } finally {
    await store.close();
  }
}

/** Dense numbers, every trial complete with the objective of its own params, none executed twice. */
function expectAllComplete(trials: readonly StoredTrial[], maxTrials: number, workers: SimulatedWorkers): void {
  expect(trials.map((t) => t.number)).toEqual(Array.from({ length: maxTrials }, (_, i) => i));
  for (const trial of trials) {
    expect(trial.state).toBe("complete");
    expect(trial.value).toBe(objective(trial.params));
  }
  for (const [trial, runs] of workers.completed) expect(runs, `executions of trial ${trial}`).toBe(1);
}

describe("startCoordinator", () => {
  it("runs a 30-trial study on 4 simulated slots to exactly 30 complete trials", async () => {
    prefix = uniquePrefix();
    const config = testConfig("thirty", { maxTrials: 30 });
    const workers = open(startSimulatedWorkers({ prefix, slots: 4, delayMs: 20 }));
    const { logger } = capturingLogger();
    const coordinator = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 100 }));
    const outcome = await coordinator.done;
    expect(outcome.finished).toBe(30);
    expect(outcome.failed).toBe(0);
    const trials = await storedTrials(config);
    expectAllComplete(trials, 30, workers);
    expect(workers.completed.size).toBe(30);
    const bestValue = Math.min(...trials.map((t) => t.value as number));
    expect(outcome.best?.value).toBe(bestValue);
  });

  it("keeps a slot taken until its trial's result is applied, even when the job ended long before the result came", async () => {
    prefix = uniquePrefix();
    const config = testConfig("one-slot", { maxTrials: 8 });
    const workers = open(startSimulatedWorkers({ prefix, slots: 1, delayMs: 20, resultLagMs: 400 }));
    const { logger } = capturingLogger();
    const coordinator = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 25 }));
    expect((await coordinator.done).finished).toBe(8);
    const trials = await storedTrials(config);
    expectAllComplete(trials, 8, workers);
    // Both stamps come from the coordinator's store writes: creation of trial k, application of k − 1's result.
    for (let k = 1; k < trials.length; k++) expect(trials[k]!.createdAt, `trial ${k}`).toBeGreaterThanOrEqual(trials[k - 1]!.finishedAt!);
  });

  it("ends a constrained study with the best trial within the constraint", async () => {
    prefix = uniquePrefix();
    // The unconstrained optimum is x = 0.3; memory_gb = 100·x must stay ≤ 20, so the feasible optimum is x = 0.2.
    const config = testConfig("memory", { maxTrials: 16, sampler: "gp", constraints: [{ metric: "memory_gb", max: 20 }] });
    const evaluate = (job: TrialJob) => ({ value: objective(job.params), metrics: { memory_gb: 100 * (job.params["x"] as number) } });
    open(startSimulatedWorkers({ prefix, slots: 2, delayMs: 5, evaluate }));
    const { logger } = capturingLogger();
    const coordinator = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 50 }));
    const outcome = await coordinator.done;
    const trials = await storedTrials(config);
    const feasible = trials.filter((t) => (t.metrics?.["memory_gb"] as number) <= 20);
    expect(feasible.length).toBeGreaterThan(0);
    expect(feasible.length).toBeLessThan(trials.length);
    expect(outcome.best?.number).toBe(feasible.reduce((a, b) => ((a.value as number) <= (b.value as number) ? a : b)).number);
    expect(outcome.best?.metrics?.["memory_gb"]).toBeLessThanOrEqual(20);
    // How well the GP learns the bound is the core's to test (Gardner's problem there); with two
    // asynchronous slots the proposals here depend on timing, so this test checks the wiring only.
  });

  it("runs a two-objective study and ends with its Pareto front", async () => {
    prefix = uniquePrefix();
    const config = testConfig("two", {
      maxTrials: 12,
      sampler: "gp",
      objectives: [
        { metric: "loss", direction: "minimize" },
        { metric: "accuracy", direction: "maximize" },
      ],
    });
    // Loss and accuracy pull x in opposite directions; y costs both.
    const evaluate = (job: TrialJob) => {
      const [x, y] = [job.params["x"] as number, Math.abs(job.params["y"] as number)];
      return { value: x + y, metrics: { accuracy: x - y } };
    };
    const workers = open(startSimulatedWorkers({ prefix, slots: 2, delayMs: 5, evaluate }));
    const { logger } = capturingLogger();
    const coordinator = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 50 }));
    const outcome = await coordinator.done;
    expect(outcome.best).toBeUndefined();
    const trials = await storedTrials(config);
    expect(trials).toHaveLength(12);
    expect(workers.jobs.every((job) => job.objectiveMetrics?.join() === "accuracy")).toBe(true);
    const point = (t: StoredTrial): [number, number] => [t.metrics!["loss"] as number, -(t.metrics!["accuracy"] as number)];
    const dominated = (t: StoredTrial) => trials.some((u) => point(u)[0] <= point(t)[0] && point(u)[1] <= point(t)[1] && (point(u)[0] < point(t)[0] || point(u)[1] < point(t)[1]));
    // Of trials with equal values, the front keeps the first.
    const repeated = (t: StoredTrial) => trials.some((u) => u.number < t.number && point(u)[0] === point(t)[0] && point(u)[1] === point(t)[1]);
    expect(outcome.front.map((t) => t.number)).toEqual(trials.filter((t) => !dominated(t) && !repeated(t)).map((t) => t.number));
    expect(outcome.front.length).toBeGreaterThan(1);
  });

  it("queues every trial at the study's full fidelity and records it", async () => {
    prefix = uniquePrefix();
    const config = testConfig("budget", { maxTrials: 4, fidelity: { min: 100, max: 1000 } });
    open(startSimulatedWorkers({ prefix, slots: 2, delayMs: 10 }));
    const { logger } = capturingLogger();
    const coordinator = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 50 }));
    expect(await coordinator.done).toMatchObject({ finished: 4, failed: 0 });
    expect((await storedTrials(config)).map((t) => t.fidelity)).toEqual([1000, 1000, 1000, 1000]);
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const trialsQueue = new Queue(TRIALS_QUEUE, { connection, prefix });
    try {
      const jobs = await trialsQueue.getJobs(["completed"]);
      expect(jobs.map((job) => (job.data as { fidelity?: number }).fidelity)).toEqual([1000, 1000, 1000, 1000]);
    } finally {
      await trialsQueue.close();
      await connection.quit();
    }
  });

  it("runs ASHA across a restart: rungs climb one at a time, promotions resume from checkpoints, no job runs twice", async () => {
    prefix = uniquePrefix();
    const config = testConfig("asha", { maxTrials: 12, fidelity: { min: 10, max: 90 }, scheduler: { type: "asha" } });
    const workers = open(startSimulatedWorkers({ prefix, slots: 2, delayMs: 30 }));
    const { logger } = capturingLogger();
    const first = await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 50 });
    // Stop it mid-study, once a promotion has happened, and start another on the same study.
    const deadline = Date.now() + 20_000;
    while (!workers.jobs.some((j) => j.rung > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await first.close();
    const second = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 50 }));
    const outcome = await second.done;
    expect(outcome).toMatchObject({ finished: 12, failed: 0 });

    const trials = await storedTrials(config);
    expect(trials.map((t) => t.number)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(trials.filter((t) => t.state === "running")).toEqual([]);
    // ASHA promotes the best of the first three results: a coordinator that created trials ahead of
    // the results it had not handled yet would have started many more configurations first.
    expect(workers.jobs.findIndex((j) => j.rung > 0)).toBeLessThanOrEqual(3 + 2);
    // Each (trial, rung) ran once, at its rung's budget; a promotion carried the previous rung's checkpoint.
    const keys = workers.jobs.map((j) => `${j.trial}-${j.rung}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const job of workers.jobs) {
      expect(job.fidelity).toBe([10, 30, 90][job.rung]);
      expect(job.checkpoint).toBe(job.rung === 0 ? undefined : `ckpt-${job.trial}-${job.rung - 1}`);
    }
    for (const trial of trials) {
      expect(trial.rungs.map((r) => r.rung)).toEqual(Array.from({ length: trial.rungs.length }, (_, i) => i));
      expect(trial.state).toBe(trial.rungs.length === 3 ? "complete" : "paused");
    }
    // ASHA ends with nothing promotable: the best third of every rung (by the final results) went
    // on. More may have gone too: an early promotion on partial results is never taken back.
    for (const rung of [0, 1]) {
      const ranked = trials.filter((t) => t.rungs.length > rung).sort((a, b) => a.rungs[rung]!.value - b.rungs[rung]!.value);
      const top = ranked.slice(0, Math.floor(ranked.length / 3));
      expect(top.length).toBeGreaterThan(0);
      for (const t of top) expect(t.rungs.length, `trial ${t.number} is in the top third of rung ${rung}`).toBeGreaterThan(rung + 1);
    }
    expect(outcome.best?.state).toBe("complete");
  });

  it("reads the whole study once, at start: results, promotions and progress reports update its view of the trials", async () => {
    prefix = uniquePrefix();
    const config = testConfig("one-read", { maxTrials: 12, fidelity: { min: 10, max: 90 }, scheduler: { type: "asha" } });
    const inner = open(new RedisStore({ redis: REDIS_URL, prefix: `${prefix}:bayestune` }));
    let wholeReads = 0;
    const counting = new Proxy(inner, {
      get(target, key) {
        if (key === "getTrials") wholeReads++;
        const value: unknown = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const workers = open(startSimulatedWorkers({ prefix, slots: 3, delayMs: 20, progressReports: 5 }));
    const { logger } = capturingLogger();
    const coordinator = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, store: counting, pollIntervalMs: 50 }));
    expect(await coordinator.done).toMatchObject({ finished: 12, failed: 0 });
    expect(workers.jobs.some((j) => j.rung > 0)).toBe(true);
    // Every report reached the store, none of them through a read of the study.
    const trials = await storedTrials(config);
    expect(trials.reduce((n, t) => n + t.intermediate.length, 0)).toBe(5 * workers.jobs.length);
    expect(wholeReads).toBe(1);
  });

  it("keeps queueAhead jobs waiting beyond the free worker slots, and no more", async () => {
    prefix = uniquePrefix();
    const config = testConfig("ahead", { maxTrials: 20 });
    // Two registered slots and no worker to take the jobs: what the coordinator queues stays queued.
    const registry = new Redis(REDIS_URL);
    await registry.set(`${prefix}:bayestune:worker:idle`, "2", "EX", 60);
    await registry.quit();
    const { logger } = capturingLogger();
    open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 50, queueAhead: 3 }));
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const trialsQueue = new Queue(TRIALS_QUEUE, { connection, prefix });
    try {
      const deadline = Date.now() + 10_000;
      while ((await trialsQueue.getWaitingCount()) < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // Several more polls must not add to it.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await trialsQueue.getWaitingCount()).toBe(5);
      expect((await storedTrials(config)).map((t) => t.state)).toEqual(Array(5).fill("running"));
    } finally {
      await trialsQueue.close();
      await connection.quit();
    }
  });

  it("refuses a negative or fractional queueAhead", async () => {
    prefix = uniquePrefix();
    for (const queueAhead of [-1, 1.5]) {
      await expect(startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config: testConfig("bad"), queueAhead })).rejects.toThrow(/queueAhead/);
    }
  });

  it("ignores a result delivered twice", async () => {
    prefix = uniquePrefix();
    const config = testConfig("twice", { maxTrials: 12 });
    const workers = open(startSimulatedWorkers({ prefix, slots: 3, delayMs: 20, duplicateResults: true }));
    const { logger } = capturingLogger();
    const coordinator = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 100 }));
    const outcome = await coordinator.done;
    expect(outcome).toMatchObject({ finished: 12, failed: 0 });
    // The late duplicates of the last trials must not break anything either.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expectAllComplete(await storedTrials(config), 12, workers);
  });

  it("refuses an unsigned message and a forged result, drops a signed one that fails its schema, and goes on", async () => {
    prefix = uniquePrefix();
    const config = testConfig("invalid", { maxTrials: 6 });
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const results = new Queue(resultsQueueName("invalid"), { connection, prefix });
    const forged = { kind: "result", study: "invalid", trial: 0, rung: 0, state: "complete", value: -12345, durationSeconds: 1, worker: "impostor" };
    await results.add("result", null, { jobId: "null" });
    await results.add("result", forged, { jobId: "unsigned" });
    await results.add("result", signMessage("another-cluster-secret", "worker-message", forged), { jobId: "other-secret" });
    await results.add("result", signMessage(TEST_SECRET, "worker-message", { kind: "result", study: "invalid", trial: -1 }), { jobId: "garbage" });
    const { logger, records } = capturingLogger();
    const workers = open(startSimulatedWorkers({ prefix, slots: 2, delayMs: 20 }));
    const coordinator = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 100 }));
    expect(await coordinator.done).toMatchObject({ finished: 6, failed: 0 });
    const refused = records.filter((r) => r["msg"] === "worker message refused: not signed with this cluster's secret");
    expect(refused.map((r) => r["jobId"]).sort()).toEqual(["null", "other-secret", "unsigned"]);
    for (const jobId of ["null", "other-secret", "unsigned"]) expect(await (await results.getJob(jobId))?.getState()).toBe("failed");
    const dropped = records.filter((r) => r["msg"] === "invalid worker message dropped");
    expect(dropped).toHaveLength(1);
    expect(dropped[0]?.["jobId"]).toBe("garbage");
    expect(String(dropped[0]?.["issues"])).toContain("trial");
    // Trial 0 holds its own result, not the forged -12345.
    expectAllComplete(await storedTrials(config), 6, workers);
    await results.close();
    await connection.quit();
  });

  it("fails a trial whose job exhausts its attempts as worker-lost, and finishes the study", async () => {
    prefix = uniquePrefix();
    const config = testConfig("crashing", { maxTrials: 8, maxAttempts: 2 });
    const workers = open(startSimulatedWorkers({ prefix, slots: 2, delayMs: 20, crashing: new Set([3]) }));
    const { logger } = capturingLogger();
    const coordinator = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 100 }));
    expect(await coordinator.done).toMatchObject({ finished: 8, failed: 1 });
    const trials = await storedTrials(config);
    expect(trials).toHaveLength(8);
    const lost = trials[3];
    expect(lost).toMatchObject({ state: "failed", reason: "worker-lost", attempts: 2 });
    expect(lost?.message).toContain("simulated crash of trial 3");
    expect(trials.filter((t) => t.state === "complete")).toHaveLength(7);
    expect(workers.completed.has(3)).toBe(false);
  });

  it("runs a trial the store holds but whose job was never added (a crash between the two)", async () => {
    prefix = uniquePrefix();
    const config = testConfig("healed", { maxTrials: 5 });
    const store = new RedisStore({ redis: REDIS_URL, prefix: `${prefix}:bayestune` });
    await store.createStudy(config);
    await createTrial(store, config.name, { x: 0.3, y: 0 }, "sampler");
    await store.close();
    const workers = open(startSimulatedWorkers({ prefix, slots: 2, delayMs: 20 }));
    const { logger } = capturingLogger();
    const coordinator = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 100 }));
    expect(await coordinator.done).toMatchObject({ finished: 5, failed: 0, best: { number: 0, value: 0 } });
    expectAllComplete(await storedTrials(config), 5, workers);
  });

  it("replays the store and retries a step whose Redis reply was lost, creating no extra trial and losing no result", async () => {
    prefix = uniquePrefix();
    const config = testConfig("lost-replies", { maxTrials: 12 });
    const inner = open(new RedisStore({ redis: REDIS_URL, prefix: `${prefix}:bayestune` }));
    let created = 0;
    let finishes = 0;
    // What a Redis restart does to a command in flight: it ran (or not), and the caller got an error.
    const flaky = new Proxy(inner, {
      get(target, key) {
        if (key === "createTrials") {
          return async (...args: Parameters<RedisStore["createTrials"]>) => {
            const trials = await target.createTrials(...args);
            if (++created === 4) throw new Error("Connection is closed.");
            return trials;
          };
        }
        if (key === "finishTrial") {
          return async (...args: Parameters<RedisStore["finishTrial"]>) => {
            if (++finishes === 2) throw new Error("Connection is closed.");
            return target.finishTrial(...args);
          };
        }
        const value: unknown = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const workers = open(startSimulatedWorkers({ prefix, slots: 2, delayMs: 20 }));
    const { logger, records } = capturingLogger();
    const coordinator = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, store: flaky, pollIntervalMs: 100 }));
    expect(await coordinator.done).toMatchObject({ finished: 12, failed: 0 });
    expectAllComplete(await storedTrials(config), 12, workers);
    expect(records.filter((record) => record["msg"] === "coordinator step failed; replaying the store and retrying")).toHaveLength(2);
  });

  it("resumes after kill -9: the same study ends with exactly maxTrials trials, none run twice", async () => {
    prefix = uniquePrefix();
    const maxTrials = 24;
    const config = testConfig("restart", { maxTrials });
    const dir = await mkdtemp(join(tmpdir(), "bayestune-coordinator-"));
    open({ close: () => rm(dir, { recursive: true, force: true }) });
    const configFile = join(dir, "study.json");
    await writeFile(configFile, JSON.stringify(config));
    const workers = open(startSimulatedWorkers({ prefix, slots: 4, delayMs: 60 }));

    const child = spawn(process.execPath, [cliPath, "coordinator", configFile, "--redis", REDIS_URL, "--prefix", prefix], {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, [SECRET_ENV]: TEST_SECRET },
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 20_000;
    while ((await storedTrials(config)).filter((t) => t.state === "complete").length < 10) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the coordinator made no progress: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const before = await storedTrials(config);
    expect(before.length).toBeLessThan(maxTrials);

    const { logger } = capturingLogger();
    const coordinator: Coordinator = open(await startCoordinator({ redis: REDIS_URL, prefix, secret: TEST_SECRET, config, logger, pollIntervalMs: 100 }));
    expect(await coordinator.done).toMatchObject({ finished: maxTrials, failed: 0 });
    const after = await storedTrials(config);
    expectAllComplete(after, maxTrials, workers);
    // The trials stored before the kill keep their params: the restart replays them, it does not redraw them.
    for (const trial of before) expect(after[trial.number]?.params).toEqual(trial.params);
  });
});
