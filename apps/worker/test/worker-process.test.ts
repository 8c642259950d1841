// Real Redis (127.0.0.1:6379) and real worker processes: each test spawns
// `bayestune worker` (apps/cli/dist/main.js), the build output, so run `npx tsc -b` first.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue, type Job } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isDead } from "../../../test/support/processes.js";
import {
  parseWorkerRegistration,
  resultsQueueName,
  SECRET_ENV,
  signMessage,
  stopRequestKey,
  TRIALS_QUEUE,
  trialQueueIds,
  workerRegistrationKey,
  type ProgressEvent,
  type TrialJobInput,
  type TrialResult,
  type WorkerMessage,
} from "@bayestune/protocol";
import { requestTrialStop } from "@bayestune/store";

const REDIS_URL = "redis://127.0.0.1:6379";
const CLI = fileURLToPath(new URL("../../cli/dist/main.js", import.meta.url));
const SRC = fileURLToPath(new URL("../src", import.meta.url));
const BUILD_INFO = fileURLToPath(new URL("../dist/.tsbuildinfo", import.meta.url));
const SECRET = "worker-process-test-secret";
/** The queue ID of trial `trial` (rung 0) of study "s", and of its result. */
const ids = (trial: number) => trialQueueIds(SECRET, "s", trial, 0);
const FIXTURE = fileURLToPath(new URL("./fixtures/sleep-then-report.mjs", import.meta.url));
const STOP_AWARE = fileURLToPath(new URL("./fixtures/stop-aware.mjs", import.meta.url));

interface WorkerHandle {
  id: string;
  child: ChildProcess;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  stderr: string[];
}

let prefix: string;
let workDir: string;
let pidDir: string;
let trials: Queue;
let results: Queue<WorkerMessage>;
let redis: Redis;
let workers: WorkerHandle[];

beforeAll(() => {
  // The processes run the build, not the sources: a stale build would test old code.
  const newestSource = Math.max(...readdirSync(SRC).map((name) => statSync(join(SRC, name)).mtimeMs));
  if (!existsSync(CLI) || !existsSync(BUILD_INFO) || statSync(BUILD_INFO).mtimeMs < newestSource) {
    throw new Error(`${CLI} must be built from the current sources: run \`npx tsc -b\` first`);
  }
});

beforeEach(async () => {
  prefix = `test-${randomUUID()}`;
  workDir = await mkdtemp(join(tmpdir(), "bayestune-worker-process-"));
  pidDir = join(workDir, "pids");
  await mkdir(pidDir);
  const connection = { url: REDIS_URL, maxRetriesPerRequest: null };
  trials = new Queue(TRIALS_QUEUE, { connection, prefix });
  results = new Queue<WorkerMessage>(resultsQueueName("s"), { connection, prefix });
  redis = new Redis(REDIS_URL);
  workers = [];
});

afterEach(async () => {
  for (const worker of workers) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
  }
  // Trials orphaned by a worker killed with SIGKILL lead their own process groups.
  for (const pid of await readdir(pidDir)) {
    try {
      process.kill(-Number(pid), "SIGKILL");
    } catch {
      // ESRCH: the trial already ended.
    }
  }
  await trials.obliterate({ force: true });
  await results.obliterate({ force: true });
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await Promise.all([trials.close(), results.close()]);
  redis.disconnect();
  await rm(workDir, { recursive: true, force: true });
});

function startWorkerProcess(id: string, ...flags: string[]): Promise<WorkerHandle> {
  const child = spawn(
    process.execPath,
    [CLI, "worker", "--redis", REDIS_URL, "--prefix", prefix, "--work-dir", workDir, "--id", id, ...flags],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, [SECRET_ENV]: SECRET } },
  );
  const handle: WorkerHandle = { id, child, logs: [], stderr: [] };
  workers.push(handle);
  let buffered = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") handle.logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr?.on("data", (chunk: Buffer) => handle.stderr.push(chunk.toString("utf8")));
  return waitFor(() => handle.logs.some((log) => log["msg"] === "worker started"), 10_000, `worker ${id} to start`).then(
    () => handle,
  );
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}


function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

function trialJob(trial: number, params: Record<string, number>): TrialJobInput {
  return {
    study: "s",
    trial,
    rung: 0,
    params,
    command: { argv: [process.execPath, FIXTURE], env: { PID_DIR: pidDir } },
    metric: "loss",
    timeoutSeconds: 30,
  };
}

async function addTrial(job: TrialJobInput): Promise<void> {
  await trials.add("trial", signMessage(SECRET, "trial-job", job), { jobId: trialQueueIds(SECRET, job.study, job.trial, job.rung ?? 0).job, attempts: 3 });
}

async function messages(name: "result" | "progress"): Promise<Job<WorkerMessage>[]> {
  // Progress goes with a priority (after results), but for each trial's last report.
  const jobs = await results.getJobs(["wait", "prioritized"]);
  return jobs.filter((job) => job.name === name);
}

describe("worker process", () => {
  it("two workers with two slots each run 20 trials: one correct result per trial, the first and the last progress report", async () => {
    await Promise.all([startWorkerProcess("A", "--slots", "2"), startWorkerProcess("B", "--slots", "2")]);
    for (let trial = 0; trial < 20; trial += 1) {
      await addTrial(trialJob(trial, { x: trial, ms: 50 + ((trial * 37) % 150), steps: 2 }));
    }
    await waitFor(async () => (await trials.getJobCounts("completed")).completed === 20, 20_000, "20 completed trials");

    const resultJobs = await messages("result");
    expect(resultJobs).toHaveLength(20);
    const byTrial = new Map(resultJobs.map((job) => [(job.data as TrialResult).trial, job]));
    for (let trial = 0; trial < 20; trial += 1) {
      const job = byTrial.get(trial);
      expect(job?.id).toBe(ids(trial).result);
      expect(job?.data).toMatchObject({ kind: "result", state: "complete", value: 2 * trial + 1, rung: 0 });
      expect(["A", "B"]).toContain((job?.data as TrialResult).worker);
    }

    // Steps 0 and 1 come in one breath: the first is posted at once with a priority, the
    // newest is flushed before the result, plain.
    const progressJobs = await messages("progress");
    expect(progressJobs.map((job) => job.id).sort()).toEqual(
      Array.from({ length: 20 }, (_, trial) => [ids(trial).progress(0), `${ids(trial).progress(1)}-last`]).flat().sort(),
    );
    expect(progressJobs.filter((job) => job.opts.priority === undefined || job.opts.priority === 0).map((job) => job.id).sort()).toEqual(
      Array.from({ length: 20 }, (_, trial) => `${ids(trial).progress(1)}-last`).sort(),
    );
    const progress = progressJobs.find((job) => job.id === `${ids(7).progress(1)}-last`)?.data as ProgressEvent;
    expect(progress).toEqual({ kind: "progress", study: "s", trial: 7, rung: 0, step: 1, metrics: { loss: 99 }, signature: expect.any(String) });
  });

  it("a trial whose worker is killed with SIGKILL is retried by another worker, with exactly one result", async () => {
    const a = await startWorkerProcess("A", "--lock-duration", "1000");
    await addTrial(trialJob(0, { x: 5, ms: 4000 }));
    await waitFor(() => a.logs.some((log) => log["msg"] === "trial started" && log["jobId"] === ids(0).job), 10_000, "A to start the trial");
    await waitFor(async () => (await readdir(pidDir)).length === 1, 5_000, "the trial to write its pid");
    const orphan = Number((await readdir(pidDir))[0]);
    expect(isDead(orphan)).toBe(false);
    a.child.kill("SIGKILL");
    await exited(a.child);
    // A's orphan guard killed the trial A was running: no training run outlives its worker.
    // (It had seconds of its 4 s left; without the guard it would still be running.)
    await waitFor(() => isDead(orphan), 10_000, "the orphaned trial to be killed");

    const b = await startWorkerProcess("B", "--lock-duration", "1000");
    await waitFor(async () => (await trials.getJob(ids(0).job))?.finishedOn !== undefined, 60_000, "the trial to finish on B");
    // B waited for A's claim to lapse (A's alive key outlived it by its TTL, then the grace) before it took the trial over.
    expect(b.logs.some((log) => log["msg"] === "trial runs on another worker; asking again later" && log["jobId"] === ids(0).job)).toBe(true);

    expect(b.logs.some((log) => log["msg"] === "trial started" && log["jobId"] === ids(0).job)).toBe(true);
    expect(await trials.getJobState(ids(0).job)).toBe("completed");
    const resultJobs = await messages("result");
    expect(resultJobs.map((job) => job.data)).toMatchObject([{ trial: 0, state: "complete", value: 11, worker: "B" }]);
  }, 120_000);

  it.runIf(process.platform === "linux")("a worker killed with SIGKILL leaves no trial process behind, not even one that called setsid", async () => {
    const a = await startWorkerProcess("A", "--lock-duration", "1000");
    const infoFile = join(workDir, "setsid.info");
    const setsidGrandchild = fileURLToPath(new URL("./fixtures/setsid-grandchild.sh", import.meta.url));
    await addTrial({ ...trialJob(0, {}), command: { argv: ["/bin/sh", setsidGrandchild, infoFile, "hang"] } });
    await waitFor(() => existsSync(infoFile) && readFileSync(infoFile, "utf8").endsWith("\n"), 10_000, "the trial's setsid grandchild to start");
    // "pid pgrp": leading a group of its own, it is out of the trial's process group.
    const [escaped, group] = readFileSync(infoFile, "utf8").trim().split(" ").map(Number);
    expect(group).toBe(escaped);
    a.child.kill("SIGKILL");
    await exited(a.child);
    try {
      await waitFor(() => isDead(escaped ?? 0), 5_000, "the orphan guard to kill the setsid grandchild");
    } finally {
      if (escaped !== undefined && !isDead(escaped)) process.kill(escaped, "SIGKILL");
    }
  });

  it("a signed payload that fails its schema fails as invalid-job; unsigned, forged and copied jobs are refused unrun; the worker goes on", async () => {
    const worker = await startWorkerProcess("A");
    const touched = join(workDir, "touched");
    const intruder = { ...trialJob(3, { x: 1, ms: 10 }), command: { argv: ["/bin/sh", "-c", `id > ${touched}`] } };
    await trials.add("trial", signMessage(SECRET, "trial-job", { study: "s", trial: 1, rung: 0, params: "oops" }), { jobId: ids(1).job, attempts: 3 });
    await trials.add("trial", { nothing: "readable" }, { jobId: "junk", attempts: 3 });
    await trials.add("trial", null, { jobId: "null", attempts: 3 });
    await trials.add("trial", intruder, { jobId: ids(3).job, attempts: 3 });
    await trials.add("trial", signMessage("someone-else-s-secret", "trial-job", intruder), { jobId: "other-secret", attempts: 3 });
    await trials.add("trial", signMessage(SECRET, "trial-job", trialJob(4, { x: 1, ms: 10 })), { jobId: "copied-under-another-id", attempts: 3 });
    await addTrial(trialJob(2, { x: 1, ms: 10 }));
    await waitFor(async () => (await trials.getJobState(ids(2).job)) === "completed", 10_000, "the valid trial to complete");
    const refusedIds = ["junk", "null", ids(3).job, "other-secret", "copied-under-another-id"];
    await waitFor(async () => (await trials.getFailedCount()) === refusedIds.length, 10_000, "the refused jobs to fail");

    const resultJobs = await messages("result");
    const invalid = resultJobs.find((job) => job.id === ids(1).result)?.data as TrialResult;
    expect(invalid).toMatchObject({ kind: "result", study: "s", trial: 1, rung: 0, state: "failed", reason: "invalid-job", worker: "A" });
    expect(invalid.message).toMatch(/params/);
    expect(resultJobs.find((job) => job.id === ids(2).result)?.data).toMatchObject({ state: "complete", value: 3 });
    // A refused job posts no result, so it cannot fail the trial it names.
    expect(resultJobs).toHaveLength(2);

    // UnrecoverableError: failed at its first attempt though two more were allowed, each logged once.
    for (const jobId of refusedIds) {
      const job = await trials.getJob(jobId);
      expect({ jobId, state: await trials.getJobState(jobId), attempts: job?.attemptsMade }).toEqual({ jobId, state: "failed", attempts: 1 });
      expect(job?.failedReason).toMatch(/^refused: /);
      expect(worker.logs.filter((log) => log["jobId"] === jobId).map((log) => log["msg"])).toEqual(["trial job refused"]);
    }
    expect((await trials.getJob("copied-under-another-id"))?.failedReason).toMatch(/a copy of a signed job/);
    expect(existsSync(touched)).toBe(false);
    expect(worker.child.exitCode).toBeNull();
  });

  it("registers its slot count while it runs; on SIGTERM it deregisters, requeues its trial and exits 0", async () => {
    const worker = await startWorkerProcess("A", "--slots", "3");
    const key = workerRegistrationKey(prefix, "A");
    expect(parseWorkerRegistration(await redis.get(key))).toMatchObject({ slots: 3, busy: 0, gpus: [] });
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(10_000);
    expect(ttl).toBeLessThanOrEqual(15_000);

    await addTrial(trialJob(0, { x: 1, ms: 20_000 }));
    await waitFor(() => worker.logs.some((log) => log["msg"] === "trial started"), 10_000, "the trial to start");
    await waitFor(async () => (await readdir(pidDir)).length === 1, 10_000, "the trial to write its pid");
    const [trialPid] = await readdir(pidDir);
    worker.child.kill("SIGTERM");
    expect(await exited(worker.child), worker.stderr.join("")).toEqual({ code: 0, signal: null });

    expect(await redis.exists(key)).toBe(0);
    // The trial's process group was killed, and the job waits for another worker without a spent attempt.
    await waitFor(() => isDead(Number(trialPid)), 10_000, "the trial process to die");
    expect(await trials.getJobState(ids(0).job)).toBe("waiting");
    expect((await trials.getJob(ids(0).job))?.attemptsMade).toBe(0);
    expect(await messages("result")).toHaveLength(0);
  });

  it("registers its busy slots: 1 of 2 while a trial runs, 0 once it ends; close deletes the registration", async () => {
    const launchedAt = Date.now();
    const worker = await startWorkerProcess("A", "--gpus", "0,1");
    const key = workerRegistrationKey(prefix, "A");
    const registration = async () => parseWorkerRegistration(await redis.get(key));
    const idle = await registration();
    expect(idle).toEqual({ slots: 2, busy: 0, host: hostname(), gpus: ["0", "1"], startedAt: expect.any(Number) });
    expect(idle?.startedAt).toBeGreaterThanOrEqual(launchedAt);
    expect(idle?.startedAt).toBeLessThanOrEqual(Date.now());

    // The refresh runs every 5 s: within 4 s of a trial starting or ending, the write at
    // the job's start or end is the one that updates busy (the wait leaves room for a loaded machine).
    await addTrial(trialJob(0, { x: 1, ms: 5_000 }));
    await waitFor(() => worker.logs.some((log) => log["msg"] === "trial started"), 10_000, "the trial to start");
    await waitFor(async () => (await registration())?.busy === 1, 4_000, "busy 1 while the trial runs");
    expect(worker.logs.some((log) => log["msg"] === "trial ended")).toBe(false);
    expect(await trials.getJobState(ids(0).job)).toBe("active");

    await waitFor(() => worker.logs.some((log) => log["msg"] === "trial ended"), 10_000, "the trial to end");
    await waitFor(async () => (await registration())?.busy === 0, 4_000, "busy 0 once the trial ended");
    expect(await registration()).toEqual(idle);
    expect(await trials.getJobState(ids(0).job)).toBe("completed");

    worker.child.kill("SIGTERM");
    expect(await exited(worker.child), worker.stderr.join("")).toEqual({ code: 0, signal: null });
    expect(await redis.exists(key)).toBe(0);
  });

  it("stops running trials when the engine calls requestTrialStop: complete with stopped: true when the script reported, failed \"stopped\" after --stop-grace when not", async () => {
    const worker = await startWorkerProcess("A", "--slots", "2", "--stop-grace", "3");
    // Trial 0 polls its stop file each step and, once it exists, prints its final line and exits 0;
    // trial 2 reports nothing and never looks at it.
    await addTrial({ ...trialJob(0, {}), command: { argv: [process.execPath, STOP_AWARE, "heed"] } });
    await addTrial({ ...trialJob(2, {}), command: { argv: [process.execPath, STOP_AWARE, "silent"] } });
    const started = (trial: number) => worker.logs.some((log) => log["msg"] === "trial started" && log["jobId"] === ids(trial).job);
    await waitFor(() => started(0) && started(2), 10_000, "the trials to start");
    await requestTrialStop(redis, { prefix, secret: SECRET, study: "s", trial: 0, rung: 0, reason: "pruned" });
    await requestTrialStop(redis, { prefix, secret: SECRET, study: "s", trial: 2, rung: 0, reason: "cancelled" });

    // Far less than the default 30 s stop grace that trial 2 would otherwise get.
    await waitFor(async () => (await trials.getJobCounts("completed")).completed === 2, 15_000, "the stopped trials to complete");
    const results = new Map((await messages("result")).map((job) => [(job.data as TrialResult).trial, job.data as TrialResult]));
    // stopped_at is in the script's final line alone: it saw should_stop() before its own 20 s give-up.
    expect(results.get(0)).toMatchObject({ state: "complete", stopped: true, metrics: { stopped_at: expect.any(Number) }, worker: "A" });
    expect(results.get(2)).toMatchObject({ state: "failed", reason: "stopped", message: expect.stringMatching(/^stopped by the engine before it reported a value of 'loss' \(terminated 3000 ms after the stop request\)/) });
    expect(worker.logs.filter((log) => log["msg"] === "stop requested; the trial is asked to stop").map((log) => [log["jobId"], log["reason"]]).sort()).toEqual([
      [ids(0).job, "pruned"],
      [ids(2).job, "cancelled"],
    ]);
    expect(worker.logs.find((log) => log["msg"] === "trial ended" && log["trial"] === 0)).toMatchObject({ state: "complete", stopped: true });
    // Left to their TTL, for the engine to read back.
    expect(await redis.exists(stopRequestKey(prefix, "s", 0, 0))).toBe(1);
  });

  it("ignores a stop request that is not signed with the cluster's secret: the trial runs to its end", async () => {
    const worker = await startWorkerProcess("A");
    await addTrial(trialJob(1, { x: 2, ms: 2_500 }));
    await waitFor(() => worker.logs.some((log) => log["msg"] === "trial started" && log["jobId"] === ids(1).job), 10_000, "the trial to start");
    const forged = { kind: "stop-request", study: "s", trial: 1, rung: 0, reason: "pruned", requestedAt: Date.now() };
    await redis.set(stopRequestKey(prefix, "s", 1, 0), JSON.stringify(signMessage("someone-else-s-secret", "stop-request", forged)));

    await waitFor(async () => (await trials.getJobState(ids(1).job)) === "completed", 15_000, "the trial to complete");
    const [result] = (await messages("result")).map((job) => job.data as TrialResult);
    expect(result).toMatchObject({ trial: 1, state: "complete", value: 5 });
    expect(result?.stopped).toBeUndefined();
    // Polled every 500 ms for 2.5 s, refused and logged once.
    expect(worker.logs.filter((log) => log["msg"] === "stop request refused")).toMatchObject([{ jobId: ids(1).job, why: expect.stringMatching(/not signed with this cluster's secret/) }]);
    expect(existsSync(join(workDir, "s-1-0", "STOP"))).toBe(false);
  });
});
