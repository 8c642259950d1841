/*
 * A cluster shared by a team (issue 15): several studies on one Redis, one prefix and
 * one pool of workers; jobs and results that someone with Redis access made by hand;
 * a Redis outage longer than the job locks. Real `bayestune coordinator` and
 * `bayestune worker` processes, a real Redis; executions are counted by the training
 * script's own marker files.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { resultsQueueName, TRIALS_QUEUE } from "@bayestune/protocol";
import {
  createCluster,
  destroyCluster,
  doneCounts,
  expectDenseFinished,
  expectExactlyOnce,
  finished,
  fixtureStudy,
  readMarks,
  sleep,
  startCoordinator,
  startWorker,
  storedTrials,
  waitFor,
  writeConfig,
  type Cluster,
} from "./support/cluster.js";
import { startRedisServer, stopRedisServer } from "./support/redis-server.js";

let cluster: Cluster | undefined;

afterEach(async () => {
  const c = cluster;
  cluster = undefined;
  if (c !== undefined) await destroyCluster(c);
});

/** Runs `write` against the cluster's trials queue and one study's results queue. */
async function withQueues(c: Cluster, study: string, write: (trials: Queue, results: Queue) => Promise<void>): Promise<void> {
  const redis = new Redis(c.redisUrl, { maxRetriesPerRequest: null });
  const trials = new Queue(TRIALS_QUEUE, { connection: redis, prefix: c.prefix });
  const results = new Queue(resultsQueueName(study), { connection: redis, prefix: c.prefix });
  try {
    await write(trials, results);
  } finally {
    await trials.close();
    await results.close();
    redis.disconnect();
  }
}

describe("a cluster shared by a team", () => {
  it("runs no job that the coordinator did not sign, and applies no result that a worker did not sign", async () => {
    const c = (cluster = createCluster());
    const touched = join(c.dir, "touched-by-intruder");
    const file = writeConfig(c, fixtureStudy(c, "guarded", { maxTrials: 8, sleepMs: 100 }));
    startWorker(c, "w0");
    startWorker(c, "w1");
    // Before the coordinator starts: what someone with write access to Redis alone could queue.
    await withQueues(c, "guarded", async (trials, results) => {
      await trials.add("trial", {
        study: "guarded",
        trial: 0,
        rung: 0,
        params: { x: 0.5 },
        command: { argv: ["/bin/sh", "-c", `id > ${touched}`], env: { LD_PRELOAD: "/tmp/evil.so" } },
        metric: "loss",
        timeoutSeconds: 10,
      }, { jobId: "guarded-0-0" });
      await results.add("result", { kind: "result", study: "guarded", trial: 0, rung: 0, state: "complete", value: -12345, durationSeconds: 1, worker: "w0" }, { jobId: "forged-result" });
    });
    const coordinator = startCoordinator(c, file);
    expect(await finished(c, coordinator, 60_000)).toEqual({ finished: 8, failed: 0 });

    expect(existsSync(touched)).toBe(false);
    const trials = await storedTrials(c, "guarded");
    expectDenseFinished(trials, 8);
    expectExactlyOnce(c, trials);
    expect(trials.map((t) => t.value).filter((v) => v !== undefined && v < 0)).toEqual([]);
    for (const t of trials) expect(t.value).toBeCloseTo(((t.params["x"] as number) - 0.3) ** 2, 12);
    expect(coordinator.output()).toMatch(/"jobId":"forged-result".*worker message refused: not signed/);
    await withQueues(c, "guarded", async (trialsQueue, results) => {
      expect(await trialsQueue.getJobState("guarded-0-0")).toBe("failed");
      expect((await trialsQueue.getJob("guarded-0-0"))?.failedReason).toMatch(/^refused: the job is not signed/);
      expect(await results.getJobState("forged-result")).toBe("failed");
    });
  }, 90_000);

  it("runs three studies side by side on one Redis, one prefix and one pool of workers, each getting every one of its results", async () => {
    const c = (cluster = createCluster());
    const names = ["team-a", "team-b", "team-a-1"];
    for (let i = 0; i < 3; i++) startWorker(c, `w${i}`);
    // "team-a" and "team-a-1" share a prefix of their names: their jobs and queues must not collide either.
    const coordinators = names.map((name, i) =>
      startCoordinator(c, writeConfig(c, fixtureStudy(c, name, { maxTrials: 12 + i, sleepMs: 60 })), `coordinator-${name}`),
    );
    const summaries = await Promise.all(coordinators.map((proc) => finished(c, proc, 90_000)));
    expect(summaries).toEqual([{ finished: 12, failed: 0 }, { finished: 13, failed: 0 }, { finished: 14, failed: 0 }]);
    // Marker files count executions per trial number across all studies: 3 studies share numbers 0..11.
    const done = doneCounts(c.marks);
    for (let trial = 0; trial < 14; trial++) expect(done.get(trial) ?? 0, `executions of trial number ${trial}`).toBe(trial < 12 ? 3 : trial < 13 ? 2 : 1);
    for (const [i, name] of names.entries()) {
      const trials = await storedTrials(c, name);
      expectDenseFinished(trials, 12 + i);
      expect(trials.filter((t) => t.state !== "complete")).toEqual([]);
    }
    for (const proc of coordinators) expect(proc.output()).not.toMatch(/another study/);
  }, 120_000);

  it("starts, and restarts, past a job whose data is null and a malformed job naming a running trial, whose real result is kept", async () => {
    const c = (cluster = createCluster());
    const file = writeConfig(c, fixtureStudy(c, "malformed", { maxTrials: 6, sleepMs: 1500 }));
    const first = startCoordinator(c, file, "coordinator-1", ["--lease", "2000"]);
    await waitFor("trial 0 queued", async () => (await storedTrials(c, "malformed")).length > 0);
    await withQueues(c, "malformed", async (trials, results) => {
      await trials.add("trial", null, { jobId: "null-job" });
      await trials.add("trial", { study: "malformed", trial: 0, rung: 0, params: "oops" }, { jobId: "malformed-0-0" });
      await results.add("result", null, { jobId: "null-result" });
      await results.add("result", { kind: "result", study: "malformed", trial: 0, rung: 0, state: "failed", reason: "invalid-job", durationSeconds: 0, worker: "w0" }, { jobId: "fail-trial-0" });
    });
    // No worker yet: the coordinator restarts with every bad message still in its queues.
    first.child.kill("SIGKILL");
    await first.exited;
    const second = startCoordinator(c, file, "coordinator-2", ["--lease", "2000"]);
    await sleep(1000);
    expect(second.child.exitCode).toBeNull();
    startWorker(c, "w0");
    startWorker(c, "w1");
    expect(await finished(c, second, 60_000)).toEqual({ finished: 6, failed: 0 });
    const trials = await storedTrials(c, "malformed");
    expectDenseFinished(trials, 6);
    expectExactlyOnce(c, trials);
    expect(trials[0]).toMatchObject({ state: "complete" });
    // A third start on the finished study reads the same queues and ends at once.
    expect(await finished(c, startCoordinator(c, file, "coordinator-3", ["--lease", "2000"]), 30_000)).toEqual({ finished: 6, failed: 0 });
  }, 90_000);

  it("never runs a completed trial again after a Redis outage longer than the job locks", async () => {
    const redisArgs = ["--appendonly", "yes", "--appendfsync", "always"];
    let server = await startRedisServer(redisArgs);
    const c = (cluster = createCluster(server.url));
    c.redisServer = server;
    const file = writeConfig(c, fixtureStudy(c, "long-outage", { maxTrials: 16, sleepMs: 400 }));
    // Locks of 1 s: every job running when Redis goes away has lost its lock when it comes back.
    startWorker(c, "w0", ["--lock-duration", "1000"]);
    startWorker(c, "w1", ["--lock-duration", "1000"]);
    const coordinator = startCoordinator(c, file);
    const completeCount = async (): Promise<number> => (await storedTrials(c, "long-outage")).filter((t) => t.state === "complete").length;
    await waitFor("4 complete trials", async () => (await completeCount()) >= 4);
    await stopRedisServer(server, "SIGKILL", true);
    // Long enough for the running trials to finish while Redis is away, and for their locks to lapse.
    await sleep(4000);
    server = await startRedisServer(redisArgs, { port: server.port, dir: server.dir });
    c.redisServer = server;

    expect(await finished(c, coordinator, 90_000)).toEqual({ finished: 16, failed: 0 });
    const trials = await storedTrials(c, "long-outage");
    expectDenseFinished(trials, 16);
    expectExactlyOnce(c, trials);
  }, 120_000);

  it("never starts a second run of a trial that runs on through a Redis outage longer than the job locks", async () => {
    const redisArgs = ["--appendonly", "yes", "--appendfsync", "always"];
    let server = await startRedisServer(redisArgs);
    const c = (cluster = createCluster(server.url));
    c.redisServer = server;
    const file = writeConfig(c, fixtureStudy(c, "outage-mid-trial", { maxTrials: 2, sleepMs: 9000 }));
    // Two trials on two workers, and an idle third worker that BullMQ hands their jobs to once their locks lapse.
    for (const id of ["w0", "w1", "w2"]) startWorker(c, id, ["--lock-duration", "1000"]);
    const coordinator = startCoordinator(c, file);
    await waitFor("both trials running", () => readMarks(c.marks).filter((m) => m.kind === "start").length === 2);
    await stopRedisServer(server, "SIGKILL", true);
    await sleep(4000);
    server = await startRedisServer(redisArgs, { port: server.port, dir: server.dir });
    c.redisServer = server;

    expect(await finished(c, coordinator, 90_000)).toEqual({ finished: 2, failed: 0 });
    const trials = await storedTrials(c, "outage-mid-trial");
    expectDenseFinished(trials, 2);
    expectExactlyOnce(c, trials);
    const starts = readMarks(c.marks).filter((m) => m.kind === "start").map((m) => m.trial);
    expect(starts.sort()).toEqual([0, 1]);
  }, 120_000);
});
