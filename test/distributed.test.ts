/*
 * End-to-end tests of distributed mode: `bayestune coordinator` and `bayestune worker`
 * run as real processes (`npx tsc -b` first) against a real Redis, and are killed with
 * SIGKILL, cut off from Redis and fed bad input. The training script is
 * test/fixtures/distributed-trial.mjs, whose marker files count executions per trial.
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { resultsQueueName, signMessage, TRIALS_QUEUE, trialQueueIds, type TrialResultInput } from "@bayestune/protocol";
import type { StoredTrial } from "@bayestune/store";
import { SuccessiveHalving } from "@bayestune/core";
import {
  createCluster,
  destroyCluster,
  doneCounts,
  expectDenseFinished,
  expectExactlyOnce,
  finished,
  fixtureStudy,
  misbehavingStudy,
  MISBEHAVIOUR_MODES,
  readMarks,
  sleep,
  startCoordinator,
  startWorker,
  storedTrials,
  tail,
  waitFor,
  writeConfig,
  type Cluster,
  type Mark,
} from "./support/cluster.js";
import { startRedisServer, stopRedisServer } from "./support/redis-server.js";

let env: Cluster | undefined;

function setup(): Cluster {
  env = createCluster();
  return env;
}

afterEach(async () => {
  const e = env;
  env = undefined;
  if (e !== undefined) await destroyCluster(e);
});

describe("distributed mode: real coordinator and worker processes on Redis", () => {
  it("runs 200 trials on 8 worker processes, each trial exactly once, every worker busy", async () => {
    const e = setup();
    const config = fixtureStudy(e, "eight-workers", { maxTrials: 200 });
    const workers = Array.from({ length: 8 }, (_, i) => startWorker(e, `w${i}`));
    const started = Date.now();
    const coordinator = startCoordinator(e, writeConfig(e, config));
    const summary = await finished(e, coordinator, 80_000);
    console.log(`200 trials on 8 workers: ${Date.now() - started} ms`);
    expect(summary).toEqual({ finished: 200, failed: 0 });

    const trials = await storedTrials(e, "eight-workers");
    expectDenseFinished(trials, 200);
    expect(trials.every((t) => t.state === "complete")).toBe(true);
    expectExactlyOnce(e, trials);
    const perWorker = new Map<string, number>();
    for (const t of trials) perWorker.set(t.worker ?? "?", (perWorker.get(t.worker ?? "?") ?? 0) + 1);
    expect([...perWorker.keys()].sort()).toEqual(workers.map((w) => w.name).sort());
    console.log(`trials per worker: ${JSON.stringify(Object.fromEntries(perWorker))}`);
    // The objective went through the whole pipeline: loss = (x - 0.3)^2 from the trial's own params.
    for (const t of trials) expect(t.value).toBeCloseTo(((t.params["x"] as number) - 0.3) ** 2, 12);
  }, 90_000);

  it("finishes the study after the coordinator is killed with SIGKILL mid-study and restarted", async () => {
    const e = setup();
    const config = fixtureStudy(e, "coordinator-kill", { maxTrials: 30, sleepMs: 150 });
    const file = writeConfig(e, config);
    for (let i = 0; i < 3; i++) startWorker(e, `w${i}`);
    const first = startCoordinator(e, file, "coordinator-1", ["--lease", "2000"]);
    await waitFor("8 finished trials", () => (doneCounts(e.marks).size >= 8));
    first.child.kill("SIGKILL");
    await first.exited;
    expect((await storedTrials(e, "coordinator-kill")).filter((t) => t.state === "complete").length).toBeLessThan(30);
    // Workers keep running their trials and posting results while no coordinator listens.
    await sleep(500);
    const second = startCoordinator(e, file, "coordinator-2", ["--lease", "2000"]);
    const summary = await finished(e, second, 40_000);
    expect(summary.finished).toBe(30);

    const trials = await storedTrials(e, "coordinator-kill");
    expectDenseFinished(trials, 30);
    expect(trials.filter((t) => t.state !== "complete")).toEqual([]);
    expectExactlyOnce(e, trials);
  }, 60_000);

  it("keeps Hyperband's brackets and rungs across a SIGKILL of the coordinator", async () => {
    const e = setup();
    const config = fixtureStudy(e, "hyperband-kill", {
      maxTrials: 18,
      sleepMs: 150,
      fidelity: { min: 1, max: 9 },
      scheduler: { type: "hyperband" },
    });
    const file = writeConfig(e, config);
    for (let i = 0; i < 3; i++) startWorker(e, `w${i}`);
    const first = startCoordinator(e, file, "coordinator-1", ["--lease", "2000"]);
    const promotedOnce = async (): Promise<boolean> => (await storedTrials(e, "hyperband-kill")).some((t) => t.rungs.length > 1);
    await waitFor("a promotion", promotedOnce);
    first.child.kill("SIGKILL");
    await first.exited;
    await sleep(500);
    const second = startCoordinator(e, file, "coordinator-2", ["--lease", "2000"]);
    const summary = await finished(e, second, 50_000);
    expect(summary.finished).toBe(18);

    const trials = await storedTrials(e, "hyperband-kill");
    expect(trials.map((t) => t.number)).toEqual(Array.from({ length: 18 }, (_, i) => i));
    expect(trials.filter((t) => t.state === "running" || t.state === "failed")).toEqual([]);
    // Trial i's bracket follows from i alone, so the second coordinator put each trial where the first would have.
    const hyperband = new SuccessiveHalving({ min: 1, max: 9, brackets: 3 });
    const brackets: { bracket: number }[] = [];
    for (const trial of trials) {
      const bracket = hyperband.bracketForNew(brackets);
      brackets.push({ bracket });
      expect(trial.rungs.map((r) => r.fidelity)).toEqual(hyperband.rungs.slice(bracket, bracket + trial.rungs.length));
      expect(trial.state).toBe(bracket + trial.rungs.length === 3 ? "complete" : "paused");
    }
    // Each rung of each trial ran to its final line exactly once.
    const done = doneCounts(e.marks);
    expect(trials.filter((t) => (done.get(t.number) ?? 0) !== t.rungs.length).map((t) => t.number)).toEqual([]);
  }, 80_000);

  it("retries a trial whose worker was killed with SIGKILL on another worker, with the GP sampler", async () => {
    const e = setup();
    const config = fixtureStudy(e, "worker-kill", { maxTrials: 10, sleepMs: 600, sampler: "gp" });
    const workers = ["w0", "w1", "w2"].map((id) => startWorker(e, id, ["--lock-duration", "1000"]));
    const coordinator = startCoordinator(e, writeConfig(e, config));
    await waitFor("a trial running", () => readMarks(e.marks).some((m) => m.kind === "start"));
    // A lost machine: the worker and the trial it was running both die.
    const victim = readMarks(e.marks).find((m) => m.kind === "start");
    const victimWorker = workers.find((w) => w.child.pid === victim?.worker);
    expect(victimWorker).toBeDefined();
    victimWorker?.child.kill("SIGKILL");
    process.kill(-(victim as Mark).pid, "SIGKILL");
    const summary = await finished(e, coordinator, 50_000);
    expect(summary).toMatchObject({ finished: 10, failed: 0 });

    const trials = await storedTrials(e, "worker-kill");
    expectDenseFinished(trials, 10);
    expectExactlyOnce(e, trials);
    const retried = trials[(victim as Mark).trial];
    expect(retried?.state).toBe("complete");
    expect(retried?.worker).not.toBe(victimWorker?.name);
    const starts = readMarks(e.marks).filter((m) => m.kind === "start" && m.trial === victim?.trial);
    expect(starts.length).toBe(2);
  }, 60_000);

  it("survives a restart of an AOF-backed Redis mid-study and finishes it", async () => {
    const e = setup();
    const redisArgs = ["--appendonly", "yes", "--appendfsync", "always"];
    let server = await startRedisServer(redisArgs);
    const { port, dir: redisDir } = server;
    e.redisServer = server;
    e.redisUrl = server.url;
    const config = fixtureStudy(e, "redis-restart", { maxTrials: 24, sleepMs: 100 });
    // The lock must outlive an outage (~2-4 s here), or a running trial's job is handed out again
    // and runs twice. It must also be short: a crash can lose the reply to a worker's fetch that
    // Redis ran and logged, leaving the job active under a lock nobody holds until it expires and
    // the stalled-job check hands it back; with the default 30 s that alone can pass 60 s.
    startWorker(e, "w0", ["--lock-duration", "10000"]);
    startWorker(e, "w1", ["--lock-duration", "10000"]);
    const coordinator = startCoordinator(e, writeConfig(e, config));
    const completeCount = async (): Promise<number> =>
      (await storedTrials(e, "redis-restart")).filter((t) => t.state === "complete").length;
    // Two outages while trials run: a clean SHUTDOWN, then a SIGKILL (appendfsync always loses no acknowledged write).
    for (const [threshold, how] of [[6, "shutdown"], [14, "kill"]] as const) {
      await waitFor(`${threshold} complete trials`, async () => (await completeCount()) >= threshold);
      if (how === "shutdown") {
        const exited = new Promise((resolve) => server.child.once("exit", resolve));
        const admin = new Redis(port, "127.0.0.1", { maxRetriesPerRequest: 0, retryStrategy: () => null });
        admin.on("error", () => undefined);
        await admin.call("SHUTDOWN").catch(() => undefined);
        admin.disconnect();
        await exited;
      }
      await stopRedisServer(server, "SIGKILL", true);
      await sleep(1500);
      server = await startRedisServer(redisArgs, { port, dir: redisDir });
      e.redisServer = server;
      // The outage came mid-study, and what was acknowledged before it survived it.
      expect(await completeCount()).toBeGreaterThanOrEqual(threshold);
      expect(await completeCount()).toBeLessThan(24);
    }

    const summary = await finished(e, coordinator, 60_000);
    expect(summary.finished).toBe(24);
    for (const proc of e.procs.filter((p) => p.name !== "coordinator")) {
      expect(proc.child.exitCode, `${proc.name} exited:\n${tail(proc)}`).toBeNull();
    }
    const trials = await storedTrials(e, "redis-restart");
    expectDenseFinished(trials, 24);
    expect(trials.filter((t) => t.state !== "complete")).toEqual([]);
    expectExactlyOnce(e, trials);
  }, 90_000);

  it("fails each misbehaving trial with a clear reason and drops malformed queue messages, with no crash", async () => {
    const e = setup();
    const modes = MISBEHAVIOUR_MODES;
    const config = misbehavingStudy(e, "bad-input");
    const workers = ["w0", "w1"].map((id) => startWorker(e, id));
    const coordinator = startCoordinator(e, writeConfig(e, config));

    const redis = new Redis(e.redisUrl, { maxRetriesPerRequest: null });
    const trialsQueue = new Queue(TRIALS_QUEUE, { connection: redis, prefix: e.prefix });
    const resultsQueue = new Queue(resultsQueueName("bad-input"), { connection: redis, prefix: e.prefix });
    try {
      await trialsQueue.add("trial", { hello: "world" }, { jobId: "malformed-job", attempts: 3 });
      await resultsQueue.add("result", { kind: "result", study: "bad-input", trial: -1 }, { jobId: "malformed-result" });
      await resultsQueue.add("result", signMessage(e.secret, "worker-message", { kind: "result", study: "bad-input", trial: -1 }), { jobId: "signed-malformed-result" });
      const summary = await finished(e, coordinator, 60_000);
      expect(summary.finished).toBe(18);

      // Neither message crashed anything, each was logged with its reason, and the bad job was not retried.
      expect(workers.map((w) => w.child.exitCode)).toEqual([null, null]);
      expect(coordinator.output()).toMatch(/"jobId":"malformed-result".*worker message refused: not signed/);
      expect(coordinator.output()).toMatch(/"jobId":"signed-malformed-result".*invalid worker message dropped/);
      expect(workers.map((w) => w.output()).join("")).toMatch(/"jobId":"malformed-job".*trial job refused/);
      const badJob = await trialsQueue.getJob("malformed-job");
      expect(await badJob?.getState()).toBe("failed");
      expect(badJob?.attemptsMade).toBe(1);
      expect(badJob?.failedReason).toMatch(/^refused: the job is not signed with this cluster's secret/);
      expect(await (await resultsQueue.getJob("malformed-result"))?.getState()).toBe("failed");
      expect(await (await resultsQueue.getJob("signed-malformed-result"))?.getState()).toBe("completed");
    } finally {
      await trialsQueue.close();
      await resultsQueue.close();
      redis.disconnect();
    }

    const trials = await storedTrials(e, "bad-input");
    expectDenseFinished(trials, 18);
    const expected: Record<string, { state: string; reason?: string; message?: RegExp }> = {
      ok: { state: "complete" },
      flood: { state: "complete" },
      crash: { state: "failed", reason: "nonzero-exit", message: /3/ },
      hang: { state: "failed", reason: "timeout" },
      garbage: { state: "failed", reason: "no-metric" },
      missing: { state: "failed", reason: "command-not-found" },
    };
    const seen = new Set<string>();
    for (const t of trials) {
      const mode = t.params["mode"] as string;
      seen.add(mode);
      const want = expected[mode];
      expect({ mode, state: t.state, reason: t.reason }).toEqual({ mode, state: want?.state, reason: want?.reason });
      if (t.state === "failed") expect(t.message, `trial ${t.number} (${mode})`).toMatch(want?.message ?? /\S/);
      else expect(t.value).toBeCloseTo(((t.params["x"] as number) - 0.3) ** 2, 12);
    }
    expect([...seen].sort()).toEqual([...modes].sort());
  }, 90_000);

  it("ignores a result delivered twice", async () => {
    const e = setup();
    const config = fixtureStudy(e, "duplicate", { maxTrials: 12, sleepMs: 300 });
    startWorker(e, "w0");
    const coordinator = startCoordinator(e, writeConfig(e, config));
    await waitFor("trial 0 complete", async () => (await storedTrials(e, "duplicate"))[0]?.state === "complete");
    const before = (await storedTrials(e, "duplicate"))[0] as StoredTrial;

    const redis = new Redis(e.redisUrl, { maxRetriesPerRequest: null });
    const resultsQueue = new Queue(resultsQueueName("duplicate"), { connection: redis, prefix: e.prefix });
    try {
      // Signed as a worker signs it: a redelivery, not a forgery.
      const duplicate = signMessage(e.secret, "worker-message", {
        kind: "result",
        study: "duplicate",
        trial: 0,
        rung: 0,
        state: "complete",
        value: 1234.5,
        metrics: { loss: 1234.5 },
        durationSeconds: 1,
        worker: "w0",
      } satisfies TrialResultInput);
      // Once under the worker's own job ID (BullMQ drops it) and once under a new one (the store must).
      const resultId = trialQueueIds(e.secret, "duplicate", 0, 0).result;
      await resultsQueue.add("result", duplicate, { jobId: resultId });
      const again = await resultsQueue.add("result", duplicate, { jobId: `${resultId}-again` });
      await waitFor("the duplicate consumed", async () => (await again.getState()) === "completed", 20_000);
      expect(await storedTrials(e, "duplicate").then((t) => t[0])).toEqual(before);

      const summary = await finished(e, coordinator, 40_000);
      expect(summary).toMatchObject({ finished: 12, failed: 0 });
    } finally {
      await resultsQueue.close();
      redis.disconnect();
    }
    const trials = await storedTrials(e, "duplicate");
    expectDenseFinished(trials, 12);
    expect(trials[0]).toEqual(before);
    expectExactlyOnce(e, trials);
  }, 60_000);
});

