// Real Redis (127.0.0.1:6379) and real worker processes: each test spawns
// `node apps/worker/dist/main.js`, the build output, so run `npx tsc -b` first.
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
import {
  parseWorkerRegistration,
  RESULTS_QUEUE,
  TRIALS_QUEUE,
  trialJobId,
  workerRegistrationKey,
  type ProgressEvent,
  type TrialJobInput,
  type TrialResult,
  type WorkerMessage,
} from "@bayestune/protocol";

const REDIS_URL = "redis://127.0.0.1:6379";
const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const SRC = fileURLToPath(new URL("../src", import.meta.url));
const BUILD_INFO = fileURLToPath(new URL("../dist/.tsbuildinfo", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixtures/sleep-then-report.mjs", import.meta.url));

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
  if (!existsSync(MAIN) || !existsSync(BUILD_INFO) || statSync(BUILD_INFO).mtimeMs < newestSource) {
    throw new Error(`${MAIN} must be built from the current sources: run \`npx tsc -b\` first`);
  }
});

beforeEach(async () => {
  prefix = `test-${randomUUID()}`;
  workDir = await mkdtemp(join(tmpdir(), "bayestune-worker-process-"));
  pidDir = join(workDir, "pids");
  await mkdir(pidDir);
  const connection = { url: REDIS_URL, maxRetriesPerRequest: null };
  trials = new Queue(TRIALS_QUEUE, { connection, prefix });
  results = new Queue<WorkerMessage>(RESULTS_QUEUE, { connection, prefix });
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
    [MAIN, "--redis", REDIS_URL, "--prefix", prefix, "--work-dir", workDir, "--id", id, ...flags],
    { stdio: ["ignore", "pipe", "pipe"] },
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

/** Gone, or a zombie: an orphan is reparented to PID 1, which in some containers never reaps. */
function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
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
  await trials.add("trial", job, { jobId: trialJobId(job.study, job.trial, job.rung ?? 0), attempts: 3 });
}

async function messages(name: "result" | "progress"): Promise<Job<WorkerMessage>[]> {
  const jobs = await results.getJobs(["wait"]);
  return jobs.filter((job) => job.name === name);
}

describe("worker process", () => {
  it("two workers with two slots each run 20 trials: one correct result per trial, progress for every step", async () => {
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
      expect(job?.id).toBe(`s-${trial}-0-result`);
      expect(job?.data).toMatchObject({ kind: "result", state: "complete", value: 2 * trial + 1, rung: 0 });
      expect(["A", "B"]).toContain((job?.data as TrialResult).worker);
    }

    const progressJobs = await messages("progress");
    expect(progressJobs.map((job) => job.id).sort()).toEqual(
      Array.from({ length: 20 }, (_, trial) => [`s-${trial}-0-p0`, `s-${trial}-0-p1`]).flat().sort(),
    );
    const progress = progressJobs.find((job) => job.id === "s-7-0-p1")?.data as ProgressEvent;
    expect(progress).toEqual({ kind: "progress", study: "s", trial: 7, rung: 0, step: 1, metrics: { loss: 99 } });
  });

  it("a trial whose worker is killed with SIGKILL is retried by another worker, with exactly one result", async () => {
    const a = await startWorkerProcess("A", "--lock-duration-ms", "1000");
    await addTrial(trialJob(0, { x: 5, ms: 4000 }));
    await waitFor(() => a.logs.some((log) => log["msg"] === "trial started" && log["jobId"] === "s-0-0"), 10_000, "A to start the trial");
    await waitFor(async () => (await readdir(pidDir)).length === 1, 5_000, "the trial to write its pid");
    const orphan = Number((await readdir(pidDir))[0]);
    expect(isDead(orphan)).toBe(false);
    a.child.kill("SIGKILL");
    await exited(a.child);
    // A's orphan guard killed the trial A was running: no training run outlives its worker.
    // (It had seconds of its 4 s left; without the guard it would still be running.)
    await waitFor(() => isDead(orphan), 2_000, "the orphaned trial to be killed");

    const b = await startWorkerProcess("B", "--lock-duration-ms", "1000");
    await waitFor(async () => (await trials.getJob("s-0-0"))?.finishedOn !== undefined, 20_000, "the trial to finish on B");

    expect(b.logs.some((log) => log["msg"] === "trial started" && log["jobId"] === "s-0-0")).toBe(true);
    expect(await trials.getJobState("s-0-0")).toBe("completed");
    const resultJobs = await messages("result");
    expect(resultJobs.map((job) => job.data)).toMatchObject([{ trial: 0, state: "complete", value: 11, worker: "B" }]);
  });

  it("an invalid payload fails as invalid-job, an unreadable one for good, and the worker goes on", async () => {
    const worker = await startWorkerProcess("A");
    await trials.add("trial", { study: "s", trial: 1, rung: 0, params: "oops" }, { jobId: "s-1-0", attempts: 3 });
    await trials.add("trial", { nothing: "readable" }, { jobId: "junk", attempts: 3 });
    await addTrial(trialJob(2, { x: 1, ms: 10 }));
    await waitFor(async () => (await trials.getJobState("s-2-0")) === "completed", 10_000, "the valid trial to complete");

    const resultJobs = await messages("result");
    const invalid = resultJobs.find((job) => job.id === "s-1-0-result")?.data as TrialResult;
    expect(invalid).toMatchObject({ kind: "result", study: "s", trial: 1, rung: 0, state: "failed", reason: "invalid-job", worker: "A" });
    expect(invalid.message).toMatch(/params/);
    expect(resultJobs.find((job) => job.id === "s-2-0-result")?.data).toMatchObject({ state: "complete", value: 3 });
    expect(resultJobs).toHaveLength(2);

    // UnrecoverableError: failed at its first attempt though two more were allowed.
    const junk = await trials.getJob("junk");
    expect(await trials.getJobState("junk")).toBe("failed");
    expect(junk?.attemptsMade).toBe(1);
    expect(junk?.failedReason).toMatch(/trial job/);
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
    const sentAt = Date.now();
    worker.child.kill("SIGTERM");
    expect(await exited(worker.child)).toEqual({ code: 0, signal: null });
    expect(Date.now() - sentAt).toBeLessThan(5_000);

    expect(await redis.exists(key)).toBe(0);
    // The trial's process group was killed, and the job waits for another worker without a spent attempt.
    await waitFor(() => isDead(Number(trialPid)), 2_000, "the trial process to die");
    expect(await trials.getJobState("s-0-0")).toBe("waiting");
    expect((await trials.getJob("s-0-0"))?.attemptsMade).toBe(0);
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

    // The refresh runs every 5 s: within 1 s of a trial starting or ending, only the
    // write at the job's start or end can have updated busy.
    await addTrial(trialJob(0, { x: 1, ms: 2_500 }));
    await waitFor(() => worker.logs.some((log) => log["msg"] === "trial started"), 10_000, "the trial to start");
    await waitFor(async () => (await registration())?.busy === 1, 1_000, "busy 1 while the trial runs");
    expect(worker.logs.some((log) => log["msg"] === "trial ended")).toBe(false);
    expect(await trials.getJobState("s-0-0")).toBe("active");

    await waitFor(() => worker.logs.some((log) => log["msg"] === "trial ended"), 10_000, "the trial to end");
    await waitFor(async () => (await registration())?.busy === 0, 1_000, "busy 0 once the trial ended");
    expect(await registration()).toEqual(idle);
    expect(await trials.getJobState("s-0-0")).toBe("completed");

    worker.child.kill("SIGTERM");
    expect(await exited(worker.child)).toEqual({ code: 0, signal: null });
    expect(await redis.exists(key)).toBe(0);
  });

  it("exits 2 with one message on a bad flag", async () => {
    const child = spawn(process.execPath, [MAIN, "--redis", REDIS_URL, "--slots", "two"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    expect(await exited(child)).toEqual({ code: 2, signal: null });
    expect(stderr).toMatch(/^bayestune worker: --slots must be an integer, got "two"\n/);

    const noRedis = spawn(process.execPath, [MAIN, "--gpus", "0,0"], { stdio: "ignore" });
    expect(await exited(noRedis)).toEqual({ code: 2, signal: null });
  });
});
